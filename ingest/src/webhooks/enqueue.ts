import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import { toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';

export { WEBHOOK_EVENTS, eventsFor, type WebhookEvent } from './events.js';
export { enqueueMerge, enqueueStageChanges } from './outbox.js';

/**
 * Makes the config file's webhooks (per site) rows of the webhooks table, with ids derived
 * from their content, so deliveries can refer to them and survive restarts.
 *
 * @example
 * await syncConfigWebhooks(db, config);
 */
export async function syncConfigWebhooks(db: Kysely<Database>, config: LeadbeamConfig) {
  for (const site of config.sites) {
    for (const hook of site.webhooks) {
      const id = 'wh_cfg_' + createHash('sha256').update(`${site.key}\u0000${hook.url}\u0000${hook.events.join(',')}`).digest('hex').slice(0, 16);
      await db
        .insertInto('webhooks')
        .values({ id, site_id: site.key, url: hook.url, secret: hook.secret, events: toJson(hook.events), created_at: Date.now() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ secret: hook.secret }))
        .execute();
    }
  }
}
