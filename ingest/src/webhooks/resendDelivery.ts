import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';

/**
 * Sends a delivery again, as it was signed first (same id, so receivers can tell it is the
 * same event): it becomes due now, and the dispatcher sends it on its next run (kick it). Its
 * earlier attempts stay in the log; a failed one gets one more attempt and, if that fails
 * too, retries only while it has attempts left. Throws 404 for an unknown delivery and 409
 * when it is still waiting to be sent or its webhook was removed.
 *
 * @example
 * await resendDelivery(db, 'dl_3q2-7wYbV0kP1xQe');
 * dispatcher.kick();
 */
export async function resendDelivery(db: Kysely<Database>, id: string, { now = Date.now }: { now?: () => number } = {}): Promise<{ id: string; webhookId: string }> {
  return db.transaction().execute(async (trx) => {
    const delivery = await trx
      .selectFrom('webhook_deliveries')
      .leftJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
      .select(['webhook_deliveries.id', 'webhook_deliveries.webhook_id', 'webhook_deliveries.status', 'webhooks.id as hook'])
      .where('webhook_deliveries.id', '=', id)
      .executeTakeFirst();
    if (!delivery) throw new ApiError(404, 'not_found', `id: no delivery "${id}"`, { field: 'id' });
    if (!delivery.hook) throw new ApiError(409, 'conflict', `id: the webhook of delivery "${id}" was removed; nothing to send it to`, { field: 'id' });
    // Only a delivery that is done (delivered or given up) is sent again: a pending one is on its way.
    const { numUpdatedRows } = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now(), delivered_at: null })
      .where('id', '=', id)
      .where('status', '!=', 'pending')
      .executeTakeFirst();
    if (numUpdatedRows === 0n) throw new ApiError(409, 'conflict', `id: delivery "${id}" is still waiting to be sent; it is sent or retried on its own`, { field: 'id' });
    return { id: delivery.id, webhookId: delivery.webhook_id };
  });
}
