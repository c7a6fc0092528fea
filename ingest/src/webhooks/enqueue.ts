import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import { toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { logger } from '../ops/logger.js';

export { WEBHOOK_EVENTS, eventsFor, type WebhookEvent } from './events.js';
export { enqueueMerge, enqueueStageChanges } from './outbox.js';

/**
 * Makes the config file's webhooks (per site) rows of the webhooks table, with ids derived
 * from their content, so deliveries can refer to them and survive restarts. A config webhook
 * the file no longer has (removed, its URL or events changed, its site gone) is removed with
 * its deliveries still waiting given up, as `removeWebhook` does for the API's: the API cannot
 * remove it (it says "remove it there"), so the file is the only place to. Webhooks registered
 * through the API for a site the file no longer has never fire: they are logged as a warning.
 * Returns both, by id.
 *
 * @example
 * await syncConfigWebhooks(db, config);
 */
export async function syncConfigWebhooks(db: Kysely<Database>, config: LeadbeamConfig): Promise<{ removed: string[]; orphaned: string[] }> {
  const kept = new Set<string>();
  for (const site of config.sites) {
    for (const hook of site.webhooks) {
      const id = 'wh_cfg_' + createHash('sha256').update(`${site.key}\u0000${hook.url}\u0000${hook.events.join(',')}`).digest('hex').slice(0, 16);
      kept.add(id);
      await db
        .insertInto('webhooks')
        .values({ id, site_id: site.key, url: hook.url, secret: hook.secret, events: toJson(hook.events), created_at: Date.now() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ secret: hook.secret }))
        .execute();
    }
  }
  const sites = new Set(config.sites.map((s) => s.key));
  const rows = await db.selectFrom('webhooks').select(['id', 'site_id']).execute();
  const removed = rows.filter((r) => r.id.startsWith('wh_cfg_') && !kept.has(r.id)).map((r) => r.id);
  if (removed.length) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhooks').where('id', 'in', removed).execute();
      await trx.updateTable('webhook_deliveries').set({ status: 'failed' }).where('webhook_id', 'in', removed).where('status', '=', 'pending').execute();
    });
    logger.info({ webhooks: removed }, 'removed webhooks the config file no longer has; their waiting deliveries are given up');
  }
  const orphaned = rows.filter((r) => !r.id.startsWith('wh_cfg_') && r.site_id !== null && !sites.has(r.site_id)).map((r) => r.id);
  if (orphaned.length) logger.warn({ webhooks: orphaned }, 'webhooks for a site the config file no longer has never fire: delete them (DELETE /v1/webhooks/{id}) or add the site back');
  return { removed, orphaned };
}
