import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';

/**
 * Removes a webhook registered through the API or the dashboard; its deliveries still waiting
 * are given up (`failed`), the log stays. Throws 404 for an unknown id and 409 for one from
 * the config file (removed there).
 *
 * @example
 * await removeWebhook(db, 'wh_3q2-7wYbV0kP1xQe');
 */
export async function removeWebhook(db: Kysely<Database>, id: string): Promise<void> {
  if (id.startsWith('wh_cfg_')) throw new ApiError(409, 'conflict', `id: webhook "${id}" is defined in the config file; remove it there`, { field: 'id' });
  await db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    if (!Number(result.numDeletedRows)) throw new ApiError(404, 'not_found', `id: no webhook "${id}"`, { field: 'id' });
    await trx.updateTable('webhook_deliveries').set({ status: 'failed' }).where('webhook_id', '=', id).where('status', '=', 'pending').execute();
  });
}
