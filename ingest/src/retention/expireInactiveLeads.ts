import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { eraseLead } from '../privacy/eraseLead.js';

const DAY_MS = 86_400_000;

/**
 * Erases known leads with no activity (no event from any of their browsers, no change) for the
 * site's `leadRetentionDays`, each as an erasure request would (`eraseLead`, audited as
 * `retention`). Sites without the setting keep their leads. A few leads at a time, each in a
 * transaction of its own, so live traffic is never held up for long.
 *
 * @example
 * const { leads } = await expireInactiveLeads(db, config, Date.now());
 */
export async function expireInactiveLeads(db: Kysely<Database>, config: LeadbeamConfig, now: number, batchSize = 100) {
  let leads = 0;
  for (const site of config.sites) {
    if (!site.leadRetentionDays) continue;
    const cutoff = now - site.leadRetentionDays * DAY_MS;
    for (;;) {
      const stale = await db
        .selectFrom('leads')
        .select('id')
        .where('site_id', '=', site.key)
        .where('merged_into', 'is', null)
        .where('updated_at', '<', cutoff)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('lead_visitors')
                .innerJoin('visitors', (j) => j.onRef('visitors.site_id', '=', 'lead_visitors.site_id').onRef('visitors.visitor_id', '=', 'lead_visitors.visitor_id'))
                .select('lead_visitors.visitor_id')
                .whereRef('lead_visitors.lead_id', '=', 'leads.id')
                .where('visitors.last_seen_at', '>=', cutoff),
            ),
          ),
        )
        .limit(batchSize)
        .execute();
      for (const { id } of stale) if (await eraseLead(db, id, { actor: 'retention', now })) leads++;
      if (stale.length < batchSize) break;
    }
  }
  return { leads };
}
