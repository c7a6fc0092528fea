import type { Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database, DeliveryStatus } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

/** One attempt to send a delivery: what the receiver answered, or what went wrong. */
export interface PresentedAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery of a webhook with every attempt, as the API and the dashboard show it. */
export interface PresentedDelivery {
  id: string;
  webhookId: string;
  type: string;
  leadId: string;
  status: DeliveryStatus;
  attempts: PresentedAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  payload: object;
}

/**
 * A webhook's deliveries, newest first (at most `limit`), each with every attempt in order.
 * Two queries (deliveries by webhook and time; their attempts by delivery). Throws 404 for an
 * id that is no webhook and has no delivery logged: a removed webhook's log stays readable.
 *
 * @example
 * const deliveries = await listDeliveries(db, 'wh_3q2-7wYbV0kP1xQe', { limit: 50 });
 * deliveries[0].attempts // [{ attempt: 1, at: '2026-…', statusCode: 500, error: null, durationMs: 12 }, …]
 */
export async function listDeliveries(db: Kysely<Database>, webhookId: string, { limit = 100 }: { limit?: number } = {}): Promise<PresentedDelivery[]> {
  const deliveries = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  if (!deliveries.length && !(await db.selectFrom('webhooks').select('id').where('id', '=', webhookId).executeTakeFirst())) {
    throw new ApiError(404, 'not_found', `id: no webhook "${webhookId}"`, { field: 'id' });
  }
  const attempts = deliveries.length
    ? await db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('delivery_id', 'in', deliveries.map((d) => d.id))
        .orderBy('attempt')
        .execute()
    : [];
  return deliveries.map((d) => ({
    id: d.id,
    webhookId: d.webhook_id,
    type: d.event_type,
    leadId: d.lead_id,
    status: d.status,
    attempts: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({ attempt: a.attempt, at: iso(a.at)!, statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
    nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    createdAt: iso(d.created_at)!,
    deliveredAt: iso(d.delivered_at),
    payload: fromJson(d.payload),
  }));
}
