import type { Kysely } from 'kysely';
import { Agent, fetch, type Response } from 'undici';
import { isPostgres } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { signPayload, signStandard } from './sign.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import { RefusedAddressError, createCheckedLookup, systemResolver, type Resolver } from './checkedLookup.js';
import { webhookUrlProblem } from './webhookUrl.js';
import { webhookDeliveries } from '../ops/metrics.js';

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

/** Deliveries claimed (and then sent concurrently) in one go. */
const CLAIM_BATCH = 50;
/** The most of a receiver's answer we read: we never use it, and a receiver must not make us hold gigabytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Wait before attempt n+1: 1 s, 2 s, 4 s … at most an hour, ±20 % jitter. */
export const retryDelayMs = (attempts: number) => Math.round(Math.min(3_600_000, 1000 * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4));

interface ClaimedDelivery {
  id: string;
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

  /** Takes due deliveries for this process: nobody else sends them until the lease runs out. */
  function claimDue(): Promise<ClaimedDelivery[]> {
    return db.transaction().execute(async (trx) => {
      const at = now();
      const due = await trx
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select(['webhook_deliveries.id', 'webhook_deliveries.payload', 'webhook_deliveries.attempts', 'webhook_deliveries.event_type', 'webhooks.url', 'webhooks.secret'])
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_deliveries.next_attempt_at', '<=', at)
        .orderBy('webhook_deliveries.next_attempt_at')
        .limit(CLAIM_BATCH)
        // Rows another process is claiming right now are its own: skip them, never wait for them.
        // Only the delivery rows: locking the shared webhook row would serialise every claim.
        .$if(rowLocks, (q) => q.forUpdate('webhook_deliveries').skipLocked())
        .execute();
      if (due.length) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ next_attempt_at: at + leaseMs })
          .where('id', 'in', due.map((d) => d.id))
          .execute();
      }
      return due;
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

  /** One batch: claim what is due, send it, record it. True when the batch was full (there may be more). */
  async function deliverDue(): Promise<boolean> {
    const claimed = await claimDue();
    // Wait for every send, even when one fails to record: `stop()` means nothing is in flight.
    const failed = (await Promise.allSettled(claimed.map(attempt))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return claimed.length === CLAIM_BATCH;
  }

  const loop = createJobLoop(deliverDue, { pollMs, name: 'webhook delivery' });
  return {
    kick: loop.kick,
    start: loop.start,
    /** Stops polling, waits for sends in flight, then closes kept-alive connections. */
    async stop() {
      await loop.stop();
      const closing = agent;
      agent = undefined;
      await closing?.close();
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
