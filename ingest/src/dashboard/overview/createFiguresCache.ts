/**
 * A small in-process cache of report figures by key. A value younger than `ttlMs` is served as
 * it is; an older one is still served at once while a fresh one is computed behind it (so only
 * the first request for a key waits); requests that ask while a key's first value is computed
 * share it. At most `max` keys; a failure is not kept. The overview's figures aggregate a whole
 * period: computing them about once a minute, not on every page view, keeps the page fast on a
 * large site, and a minute-old funnel misleads nobody.
 *
 * @example
 * const cache = createFiguresCache({ ttlMs: 60_000 });
 * const figures = await cache.get('demo:30', () => funnelFigures(db, range), Date.now());
 */
export function createFiguresCache({ ttlMs, max = 100 }: { ttlMs: number; max?: number }) {
  interface Entry {
    at: number;
    value: Promise<unknown>;
    /** Set once the value has resolved: only a value that arrived may be served stale. */
    ready: boolean;
    refreshing: boolean;
  }
  const entries = new Map<string, Entry>();
  const store = (key: string, entry: Entry) => {
    entries.delete(key);
    entries.set(key, entry);
    // Oldest first in a Map: drop from the front.
    while (entries.size > max) entries.delete(entries.keys().next().value!);
  };
  const start = (key: string, compute: () => Promise<unknown>, now: number): Entry => {
    const entry: Entry = { at: now, value: compute(), ready: false, refreshing: false };
    entry.value.then(
      () => (entry.ready = true),
      () => entries.get(key) === entry && entries.delete(key),
    );
    return entry;
  };
  return {
    get<T>(key: string, compute: () => Promise<T>, now: number): Promise<T> {
      const hit = entries.get(key);
      if (hit && (now - hit.at < ttlMs || !hit.ready || hit.refreshing)) return hit.value as Promise<T>;
      if (hit) {
        // Stale: answer with it now, and replace it when the fresh value has arrived.
        hit.refreshing = true;
        const fresh = start(key, compute, now);
        fresh.value.then(
          () => entries.get(key) === hit && store(key, fresh),
          () => (hit.refreshing = false),
        );
        return hit.value as Promise<T>;
      }
      const entry = start(key, compute, now);
      store(key, entry);
      return entry.value as Promise<T>;
    },
  };
}
