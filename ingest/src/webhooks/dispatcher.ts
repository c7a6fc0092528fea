import type { Kysely } from 'kysely';
import { Agent, fetch, type Response } from 'undici';
import { isPostgres } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { signPayload, signStandard } from './sign.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import { RefusedAddressError, createCheckedLookup, systemResolver, type Resolver } from './checkedLookup.js';
import { webhookUrlProblem } from './webhookUrl.js';
import { webhookDeliveries } from '../ops/metrics.js';
import { logger } from '../ops/logger.js';

export interface DispatcherOptions {
  db: Kysely<Database>;
  now?: () => number;
  /** Give up on a delivery after this many attempts (then it is `failed`, kept in the log). */
  maxAttempts?: number;
  /** A receiver that has not answered (body included) within this long counts as failed. */
  timeoutMs?: number;
  /**
   * How long a claimed delivery stays with the process that claimed it. If that process dies
   * mid-send, another sends it again once this has passed. Longer than `timeoutMs`, so a live
   * sender always records first; default `timeoutMs` + 1 min.
   */
  leaseMs?: number;
  /** How often to look for retries that have come due. */
  pollMs?: number;
  /**
   * Send to loopback, private and internal addresses too (local development and tests:
   * `LEADBEAM_ALLOW_PRIVATE_WEBHOOKS`). Otherwise a URL or name that resolves to one is a
   * failed attempt and no connection is made.
   */
  allowPrivateWebhooks?: boolean;
  /** Resolves receivers' host names (default: the system's, every address); tests stub it. */
  resolve?: Resolver;
}

/** Deliveries this process sends at once, all receivers together. */
const MAX_IN_FLIGHT = 50;
/**
 * Deliveries to one webhook in flight at once: a receiver that hangs holds at most this many
 * of the slots, so every other receiver's deliveries still go out at once.
 */
const MAX_IN_FLIGHT_PER_WEBHOOK = 10;
/** The most of a receiver's answer we read: we never use it, and a receiver must not make us hold gigabytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Wait before attempt n+1: 1 s, 2 s, 4 s … at most an hour, ±20 % jitter. */
export const retryDelayMs = (attempts: number) => Math.round(Math.min(3_600_000, 1000 * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4));

interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  payload: string;
  attempts: number;
  event_type: string;
  url: string;
  secret: string;
}

interface AttemptResult {
  status: number | null;
  error: string | null;
}

/**
 * Sends stored webhook deliveries: at once when kicked (right after a stage change commits),
 * and retries that come due with exponential backoff.
 *
 * Any number of processes may run one over the same database: each delivery is first claimed
 * (leased for `leaseMs`) in a short transaction, so only one of them sends it. At least once:
 * a delivery is only marked delivered after a 2xx, and one whose sender died is sent again
 * when its lease runs out; with no crash, exactly once.
 *
 * @example
 * const dispatcher = createWebhookDispatcher({ db });
 * dispatcher.start();
 */
export function createWebhookDispatcher({
  db,
  now = Date.now,
  maxAttempts = 10,
  timeoutMs = 5000,
  leaseMs = timeoutMs + 60_000,
  pollMs = 1000,
  allowPrivateWebhooks = false,
  resolve = systemResolver,
}: DispatcherOptions) {
  if (!(leaseMs > timeoutMs)) throw new RangeError(`webhook dispatcher: leaseMs (${leaseMs}) must be longer than timeoutMs (${timeoutMs})`);
  // SQLite has no row locks (nor their syntax): its one writer serialises the claims already.
  const rowLocks = isPostgres(db);
  // Every connection resolves its host through the checked lookup, which connects only to the
  // addresses it checked (DNS rebinding). Made when first needed, closed by `stop()`.
  let agent: Agent | undefined;
  const connections = () => (agent ??= new Agent({ connect: { lookup: createCheckedLookup({ resolve, allowPrivate: allowPrivateWebhooks }) } }));

  /** Sends in flight in this process, and how many of them go to each webhook. */
  const inFlight = new Set<Promise<void>>();
  const inFlightTo = new Map<string, number>();
  let stopped = false;

  /**
   * Takes up to `room` due deliveries for this process, no more to one webhook than it may
   * still have in flight: nobody else sends them until the lease runs out. Also says whether
   * more may be due than it took.
   */
  function claimDue(room: number): Promise<{ claimed: ClaimedDelivery[]; more: boolean }> {
    const saturated = [...inFlightTo].filter(([, n]) => n >= MAX_IN_FLIGHT_PER_WEBHOOK).map(([id]) => id);
    return db.transaction().execute(async (trx) => {
      const at = now();
      const due = await trx
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select(['webhook_deliveries.id', 'webhook_deliveries.webhook_id', 'webhook_deliveries.payload', 'webhook_deliveries.attempts', 'webhook_deliveries.event_type', 'webhooks.url', 'webhooks.secret'])
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_deliveries.next_attempt_at', '<=', at)
        .$if(saturated.length > 0, (q) => q.where('webhook_deliveries.webhook_id', 'not in', saturated))
        .orderBy('webhook_deliveries.next_attempt_at')
        .limit(room)
        // Rows another process is claiming right now are its own: skip them, never wait for them.
        // Only the delivery rows: locking the shared webhook row would serialise every claim.
        .$if(rowLocks, (q) => q.forUpdate('webhook_deliveries').skipLocked())
        .execute();
      // Past a webhook's share, rows stay unclaimed (their locks end with this transaction).
      const taken = new Map<string, number>();
      const claimed = due.filter((d) => {
        const n = (inFlightTo.get(d.webhook_id) ?? 0) + (taken.get(d.webhook_id) ?? 0);
        if (n >= MAX_IN_FLIGHT_PER_WEBHOOK) return false;
        taken.set(d.webhook_id, (taken.get(d.webhook_id) ?? 0) + 1);
        return true;
      });
      if (claimed.length) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ next_attempt_at: at + leaseMs })
          .where('id', 'in', claimed.map((d) => d.id))
          .execute();
      }
      return { claimed, more: due.length === room || claimed.length < due.length };
    });
  }

  async function post(d: ClaimedDelivery, started: number): Promise<AttemptResult> {
    const timestamp = Math.floor(started / 1000);
    // An address in the URL itself is never looked up: check it here. Also catches URLs stored
    // before registration checked them.
    const problem = webhookUrlProblem(d.url, { allowPrivate: allowPrivateWebhooks });
    if (problem) return { status: null, error: `refused: ${problem}` };
    try {
      const res = await fetch(d.url, {
        dispatcher: connections(),
        method: 'POST',
        body: d.payload,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'leadbeam-webhooks/1',
          'Leadbeam-Delivery': d.id,
          'Leadbeam-Event': d.event_type,
          'Leadbeam-Timestamp': String(timestamp),
          'Leadbeam-Signature': signPayload(d.secret, timestamp, d.payload),
          // Standard Webhooks 1.0 (see sign.ts): the same delivery, verifiable with its libraries.
          'webhook-id': d.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signStandard(d.secret, d.id, timestamp, d.payload),
        },
        // A redirect would send the signed payload somewhere nobody registered: it is a failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const redirected = res.status >= 300 && res.status < 400 ? `redirect to ${(res.headers.get('location') ?? '(no location)').slice(0, 200)} not followed` : null;
      const bodyProblem = await discardAnswer(res);
      return { status: res.status, error: redirected ?? bodyProblem };
    } catch (err) {
      return { status: null, error: describeFailure(err) };
    }
  }

  /**
   * Reads the answer to its end (so the connection can be reused), but no more than
   * `MAX_ANSWER_BYTES`: past that it cancels the stream, which closes the connection.
   * Returns what went wrong, if anything.
   */
  async function discardAnswer(res: Response): Promise<string | null> {
    if (!res.body) return null;
    const reader = res.body.getReader();
    let bytes = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        bytes += value.byteLength;
        if (bytes > MAX_ANSWER_BYTES) {
          await reader.cancel().catch(() => undefined);
          return `answer body longer than ${MAX_ANSWER_BYTES / 1024} KiB: cut off`;
        }
      }
    } catch (err) {
      return `answer body: ${describeFailure(err)}`;
    }
  }

  function describeFailure(err: unknown): string {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    if (e?.cause instanceof RefusedAddressError) return e.cause.message;
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a bad certificate, …).
    const cause = e?.cause?.code ?? e?.cause?.message;
    return cause ? `${e.message} (${cause})` : String(e?.message ?? err);
  }

  async function record(d: ClaimedDelivery, started: number, { status, error }: AttemptResult) {
    const attempts = d.attempts + 1;
    const ok = status !== null && status >= 200 && status < 300;
    webhookDeliveries.inc({ outcome: ok ? 'delivered' : error?.startsWith('refused') ? 'refused' : 'failed' });
    await db.transaction().execute(async (trx) => {
      const { numUpdatedRows } = await trx
        .updateTable('webhook_deliveries')
        .set(ok ? { status: 'delivered', attempts, delivered_at: now() } : { status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, next_attempt_at: now() + retryDelayMs(attempts) })
        .where('id', '=', d.id)
        // Unless someone recorded this attempt first: a process stalled past its lease while
        // another sent the delivery again. One record per attempt; the first one stands.
        .where('attempts', '=', d.attempts)
        .executeTakeFirst();
      if (numUpdatedRows === 0n) return;
      await trx.insertInto('webhook_attempts').values({ delivery_id: d.id, attempt: attempts, at: started, status_code: status, error, duration_ms: Math.round(now() - started) }).execute();
    });
  }

  async function attempt(d: ClaimedDelivery) {
    const started = now();
    await record(d, started, await post(d, started));
  }

  /** Starts one send without waiting for it; when it ends, its slot goes to the next due delivery. */
  function send(d: ClaimedDelivery) {
    inFlightTo.set(d.webhook_id, (inFlightTo.get(d.webhook_id) ?? 0) + 1);
    const sending: Promise<void> = attempt(d)
      // Unrecorded, the delivery stays claimed and is sent again when its lease runs out.
      .catch((err) => logger.error({ err: err instanceof Error ? err.message : String(err), delivery: d.id }, 'webhook attempt not recorded'))
      .finally(() => {
        inFlight.delete(sending);
        const left = inFlightTo.get(d.webhook_id)! - 1;
        if (left > 0) inFlightTo.set(d.webhook_id, left);
        else inFlightTo.delete(d.webhook_id);
        if (!stopped) void loop.kick();
      });
    inFlight.add(sending);
  }

  /**
   * One pass: claim what is due into the free slots and start sending it. Sends are not waited
   * for here, so a receiver that hangs until the timeout holds up only its own deliveries.
   * True when there may be more due and room to take it.
   */
  async function deliverDue(): Promise<boolean> {
    const room = MAX_IN_FLIGHT - inFlight.size;
    if (stopped || room <= 0) return false;
    const { claimed, more } = await claimDue(room);
    for (const d of claimed) send(d);
    return more && claimed.length > 0;
  }

  /** Resolves when every send in flight (also those they made room for) has been recorded. */
  async function settle() {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  }

  const loop = createJobLoop(deliverDue, { pollMs, name: 'webhook delivery' });
  return {
    /** Sends what is due now; resolves when those sends (and any they made room for) are recorded. */
    async kick() {
      await loop.kick();
      // Each send that ends makes room for the next: repeat until a pass finds nothing to send.
      do {
        await settle();
        await loop.drain();
      } while (inFlight.size);
    },
    start() {
      stopped = false;
      loop.start();
    },
    /** Stops polling, waits for sends in flight, then closes kept-alive connections. */
    async stop() {
      stopped = true;
      await loop.stop();
      await settle();
      const closing = agent;
      agent = undefined;
      await closing?.close();
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
