interface Entry<T> {
  value?: T;
  /** When `value` was computed. */
  at: number;
  pending?: Promise<T>;
}

/** A cached report and when it was computed (pages say "as of"). */
export interface Cached<T> {
  value: T;
  at: number;
  /** Older than the cache's time to live: a fresh one is being computed (pages say so, and to reload). */
  stale: boolean;
}

/**
 * Keeps reports that aggregate a whole period (hundreds of thousands of events) for `ttlMs`,
 * so a page shows them at once however often it is opened. Past that it still answers with
 * the kept report and computes a fresh one in the background (one at a time per key); only
 * the first request for a key waits. A failed refresh keeps the old report. Per process, at
 * most `maxEntries` keys (the oldest go first).
 *
 * @example
 * const cache = createReportCache<Traffic>({ ttlMs: 60_000 });
 * const { value, at } = await cache(`${site}:${days}`, () => pageTraffic(db, { site, from, to }));
 */
export function createReportCache<T>({ ttlMs = 60_000, now = Date.now, maxEntries = 100 }: { ttlMs?: number; now?: () => number; maxEntries?: number } = {}) {
  const entries = new Map<string, Entry<T>>();
  const refresh = (key: string, entry: Entry<T>, compute: () => Promise<T>) => {
    const started = now();
    entry.pending = compute().then(
      (value) => {
        Object.assign(entry, { value, at: started, pending: undefined });
        return value;
      },
      (err: unknown) => {
        entry.pending = undefined;
        if (entry.value === undefined) entries.delete(key);
        throw err;
      },
    );
    return entry.pending;
  };
  return async function cached(key: string, compute: () => Promise<T>): Promise<Cached<T>> {
    let entry = entries.get(key);
    if (!entry) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entry = { at: 0 };
      entries.set(key, entry);
    }
    if (entry.value === undefined) {
      const value = await (entry.pending ?? refresh(key, entry, compute));
      return { value, at: entry.at, stale: false };
    }
    const stale = now() - entry.at >= ttlMs;
    if (stale && !entry.pending) refresh(key, entry, compute).catch(() => undefined);
    return { value: entry.value, at: entry.at, stale };
  };
}
