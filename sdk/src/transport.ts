import type { TrackedEvent } from '../../shared/src/types.js';
import type { KeyValueStore } from './storage.js';

export interface TransportOptions {
  /** Full URL of the ingest's collect endpoint. */
  endpoint: string;
  site: string;
  store: KeyValueStore;
  /** Wait this long to gather events into one request (ms). */
  delay?: number;
  /** Most events in one request: keeps a beacon well under the 64 KB keepalive budget. */
  maxBatch?: number;
  /** Most events kept while the ingest is unreachable; the oldest go first. */
  maxQueue?: number;
}

export interface TransportStats {
  /** Events dropped because the queue was full or the ingest refused them for good. */
  dropped: number;
  /** Failed attempts (network errors, 429 and 5xx) that were retried. */
  retries: number;
}

const QUEUE_KEY = 'lb_q';
const MAX_BACKOFF_MS = 60_000;

/**
 * A queue that loses nothing: events are persisted until the ingest has acknowledged them,
 * batched, retried with exponential backoff and jitter on network errors, 429 and 5xx
 * (honouring Retry-After) and never on other 4xx. Every event carries a unique id and the
 * ingest stores each id once, so a resend never double counts.
 *
 * @example
 * const transport = createTransport({ endpoint: 'https://t.example.com/v1/collect', site: 'demo', store });
 * transport.push(event);
 * addEventListener('pagehide', () => transport.flushOnHide());
 */
export function createTransport({ endpoint, site, store, delay = 1000, maxBatch = 25, maxQueue = 1000 }: TransportOptions) {
  let queue: TrackedEvent[] = [];
  const inFlight = new Set<string>();
  const stats: TransportStats = { dropped: 0, retries: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let retryAt = 0;

  try {
    queue = JSON.parse(store.get(QUEUE_KEY) || '[]');
  } catch {}

  const save = () => {
    try {
      queue.length ? store.set(QUEUE_KEY, JSON.stringify(queue)) : store.remove(QUEUE_KEY);
    } catch {}
  };
  const waiting = () => queue.filter((e) => !inFlight.has(e.id));
  const bodyOf = (events: TrackedEvent[]) => JSON.stringify({ site, sentAt: Date.now(), events });
  const forget = (ids: Set<string>) => {
    queue = queue.filter((e) => !ids.has(e.id));
    save();
  };

  function schedule(ms: number) {
    if (timer === undefined) timer = setTimeout(() => ((timer = undefined), flush()), Math.max(ms, retryAt - Date.now()));
  }

  function backOff(retryAfter?: string | null) {
    stats.retries++;
    const seconds = Number(retryAfter);
    const wait = seconds > 0 ? seconds * 1000 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.5 + Math.random());
    attempt++;
    retryAt = Date.now() + wait;
    schedule(wait);
  }

  /** Sends the next batch now (unless backing off); resolves when the ingest has answered. */
  async function flush(): Promise<void> {
    const batch = waiting().slice(0, maxBatch);
    if (!batch.length || inFlight.size) return;
    if (retryAt > Date.now()) return schedule(0);
    const ids = new Set(batch.map((e) => e.id));
    ids.forEach((id) => inFlight.add(id));
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        body: bodyOf(batch),
        // text/plain is a "simple" request: no CORS preflight, which could not finish on unload.
        headers: { 'Content-Type': 'text/plain' },
        keepalive: true,
        credentials: 'omit',
      });
      const retryable = res.status == 408 || res.status == 429 || res.status >= 500;
      if (retryable) backOff(res.headers.get('Retry-After'));
      else {
        if (!res.ok) stats.dropped += ids.size;
        attempt = retryAt = 0;
        forget(ids);
      }
    } catch {
      backOff();
    } finally {
      ids.forEach((id) => inFlight.delete(id));
    }
    if (!attempt && waiting().length) schedule(0);
  }

  /**
   * The page is being hidden or left: hand what is waiting to sendBeacon, which outlives the
   * page. While offline or backing off, the events stay persisted for the next page instead.
   */
  function flushOnHide() {
    save();
    if (attempt || navigator.onLine === false || !navigator.sendBeacon) return;
    const events = waiting();
    for (let i = 0; i < events.length; i += maxBatch) {
      const chunk = events.slice(i, i + maxBatch);
      if (!navigator.sendBeacon(endpoint, bodyOf(chunk))) return;
      forget(new Set(chunk.map((e) => e.id)));
    }
  }

  function push(event: TrackedEvent, urgent?: boolean) {
    queue.push(event);
    if (queue.length > maxQueue) stats.dropped += queue.splice(0, queue.length - maxQueue).length;
    save();
    if (urgent) flushOnHide();
    else schedule(waiting().length >= maxBatch ? 0 : delay);
  }

  // Events a previous page could not deliver go out first.
  if (queue.length) schedule(0);

  return { push, flush, flushOnHide, stats, size: () => queue.length };
}

export type Transport = ReturnType<typeof createTransport>;
