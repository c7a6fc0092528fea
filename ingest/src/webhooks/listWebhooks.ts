import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { presentWebhook, type PresentedWebhook } from './presentWebhook.js';

/**
 * The registered webhooks, oldest first, without secrets: all of them, or with `site` those
 * that send that site's leads (its own and those for every site).
 *
 * @example
 * const hooks = await listWebhooks(db, { site: 'demo' });
 */
export async function listWebhooks(db: Kysely<Database>, { site }: { site?: string } = {}): Promise<PresentedWebhook[]> {
  const rows = await db
    .selectFrom('webhooks')
    .selectAll()
    .$if(site !== undefined, (q) => q.where((eb) => eb.or([eb('site_id', '=', site!), eb('site_id', 'is', null)])))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(presentWebhook);
}
