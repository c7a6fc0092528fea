/**
 * A small in-process cache of report figures by key, each kept `ttlMs` (and shared by requests
 * that ask while it is computed), at most `max` keys. The overview's figures aggregate a whole
 * period: computing them once a minute, not on every page view, keeps the page fast on a large
 * site, and a minute-old funnel misleads nobody. A failure is not kept.
 *
 * @example
 * const cache = createFiguresCache({ ttlMs: 60_000 });
 * const figures = await cache.get(`demo:${from}:${to}`, () => funnelFigures(db, range), Date.now());
 */
export function createFiguresCache({ ttlMs, max = 100 }: { ttlMs: number; max?: number }) {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  return {
    get<T>(key: string, compute: () => Promise<T>, now: number): Promise<T> {
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs && now >= hit.at) return hit.value as Promise<T>;
      const value = compute();
      entries.delete(key);
      entries.set(key, { at: now, value });
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      // Oldest first in a Map: drop from the front.
      while (entries.size > max) entries.delete(entries.keys().next().value!);
      return value;
    },
  };
}
