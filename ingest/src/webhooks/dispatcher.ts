import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { signPayload } from './sign.js';

export interface DispatcherOptions {
  db: Kysely<Database>;
  now?: () => number;
  /** Give up on a delivery after this many attempts (then it is `failed`, kept in the log). */
  maxAttempts?: number;
  /** A receiver that has not answered within this long counts as failed. */
  timeoutMs?: number;
  /** How often to look for retries that have come due. */
  pollMs?: number;
}

/** Wait before attempt n+1: 1 s, 2 s, 4 s … at most an hour, ±20 % jitter. */
export const retryDelayMs = (attempts: number) => Math.round(Math.min(3_600_000, 1000 * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4));

/**
 * Sends stored webhook deliveries: at once when kicked (right after a stage change commits),
 * and retries that come due with exponential backoff. At least once: a delivery is only marked
 * delivered after a 2xx, and pending ones are picked up again after a restart.
 *
 * @example
 * const dispatcher = createWebhookDispatcher({ db });
 * dispatcher.start();
 */
export function createWebhookDispatcher({ db, now = Date.now, maxAttempts = 10, timeoutMs = 5000, pollMs = 1000 }: DispatcherOptions) {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function attempt(d: { id: string; payload: string; attempts: number; url: string; secret: string; event_type: string }) {
    const started = now();
    const timestamp = Math.floor(started / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        body: d.payload,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'leadbeam-webhooks/1',
          'Leadbeam-Delivery': d.id,
          'Leadbeam-Event': d.event_type,
          'Leadbeam-Timestamp': String(timestamp),
          'Leadbeam-Signature': signPayload(d.secret, timestamp, d.payload),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
    }
    const attempts = d.attempts + 1;
    const ok = status !== null && status >= 200 && status < 300;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('webhook_attempts').values({ delivery_id: d.id, attempt: attempts, at: started, status_code: status, error, duration_ms: Math.round(now() - started) }).execute();
      await trx
        .updateTable('webhook_deliveries')
        .set(ok ? { status: 'delivered', attempts, delivered_at: now() } : { status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, next_attempt_at: now() + retryDelayMs(attempts) })
        .where('id', '=', d.id)
        .execute();
    });
  }

  async function deliverDue() {
    do {
      again = false;
      const due = await db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select(['webhook_deliveries.id', 'webhook_deliveries.payload', 'webhook_deliveries.attempts', 'webhook_deliveries.event_type', 'webhooks.url', 'webhooks.secret'])
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_deliveries.next_attempt_at', '<=', now())
        .orderBy('webhook_deliveries.next_attempt_at')
        .limit(50)
        .execute();
      await Promise.all(due.map(attempt));
      if (due.length === 50) again = true;
    } while (again);
  }

  /** Sends what is due now; concurrent calls share one run (and trigger one more pass). */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = deliverDue()
      .catch((err) => console.error('leadbeam: webhook delivery failed', err))
      .finally(() => (running = undefined));
    return running;
  }

  return {
    kick,
    start() {
      timer ??= setInterval(() => void kick(), pollMs);
      timer.unref?.();
      void kick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
