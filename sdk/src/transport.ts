import { now } from './dom.js';
import type { TrackedEvent } from '../../shared/src/types.js';
import type { KeyValueStore } from './storage.js';

/** Most events in one request. */
export const MAX_BATCH = 25;
/** Most events kept while the ingest is unreachable (as Snowplow); the oldest go first. */
export const MAX_QUEUE = 1000;

/**
 * A queue that loses nothing: events stay persisted until the ingest has acknowledged them,
 * go out in batches, and are retried with exponential backoff and jitter on network errors,
 * 408, 429 and 5xx (honouring Retry-After), never on other 4xx. Every event has a unique id
 * and the ingest stores each id once, so a resend never double counts.
 *
 * @example
 * const transport = createTransport('https://t.example.com/v1/collect', 'demo', store, () => true);
 * transport.push(event);
 */
export function createTransport(endpoint: string, site: string, store: KeyValueStore, canSend: () => unknown, delay = 1000) {
  let queue: TrackedEvent[] = [];
  // Events in flight or handed to sendBeacon. sendBeacon never says whether its request arrived,
  // so those events stay persisted and the next page sends them again; the ingest drops copies.
  const sent = new Set<TrackedEvent>();
  let timer: any;
  let attempt = 0;
  let retryAt = 0;
  let inFlight: unknown;

  // The queue is kept in localStorage under 'lb_q:' and the site's key: two tags on one origin
  // (staging and production, two products) each send only their own events.
  const key = 'lb_q:' + site;
  try {
    queue = JSON.parse(store.getItem(key)!) || [];
  } catch {}

  const save = () => store.setItem(key, JSON.stringify(queue));
  const nextBatch = () => queue.filter((e) => !sent.has(e)).slice(0, MAX_BATCH);
  // A string body goes as text/plain: a "simple" request without a CORS preflight, which
  // could not finish while a page unloads.
  const body = (events: TrackedEvent[]) => JSON.stringify({ site, sentAt: now(), events });
  const schedule = (ms: number) => (timer ||= setTimeout(flush, Math.max(ms, retryAt - now())));
  const mark = (events: TrackedEvent[], add?: unknown) => events.map((e) => (add ? sent.add(e) : sent.delete(e)));

  /** Sends the next batch, unless one is in flight or the transport is backing off. */
  const flush = async (): Promise<void> => {
    timer = 0;
    const batch = nextBatch();
    if (inFlight || !batch[0] || !canSend()) return;
    if (retryAt > now()) return void schedule(0);
    inFlight = mark(batch, 1);
    let retryAfter: string | null | undefined;
    try {
      const b = body(batch);
      // A keepalive request outlives the page, but one over 64 KB fails as if offline and would
      // be retried for ever: a large batch (big custom properties) goes as an ordinary request.
      const res = await fetch(endpoint, { method: 'POST', body: b, keepalive: b.length < 2e4 });
      if (/408|429|5../.test(res.status as any)) retryAfter = res.headers.get('Retry-After') || '';
      else {
        queue = queue.filter((e) => !batch.includes(e));
        save();
      }
    } catch {
      retryAfter = '';
    }
    mark(batch);
    inFlight = 0;
    if (retryAfter != null) {
      retryAt = now() + (+retryAfter * 1000 || Math.min(60_000, 1000 * 2 ** attempt++) * (0.5 + Math.random()));
    } else attempt = retryAt = 0;
    schedule(0);
  };

  /**
   * The page is being hidden or left: persist, then hand the next batch to sendBeacon, which
   * outlives the page. Offline or backing off, events wait for the next page instead. While
   * sending is not allowed (no consent yet, opted out) nothing is written to the device either.
   */
  function flushOnHide() {
    if (canSend()) {
      save();
      const batch = nextBatch();
      if (!attempt && navigator.onLine && batch[0] && navigator.sendBeacon(endpoint, body(batch))) mark(batch, 1);
    }
  }

  /** Queues an event for the next batch: in `delay` ms, or at once when a batch is full. */
  function push(event: TrackedEvent) {
    if (queue.push(event) > MAX_QUEUE) queue.shift();
    save();
    schedule(nextBatch()[MAX_BATCH - 1] ? 0 : delay);
  }

  // What earlier pages could not deliver goes out first.
  schedule(0);

  return {
    push,
    flushOnHide,
    /** Forgets every queued event (opt-out). */
    forgetQueue() {
      queue = [];
      save();
    },
  };
}

export type Transport = ReturnType<typeof createTransport>;
