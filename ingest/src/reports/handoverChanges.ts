import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The stage changes that handed a site's leads to sales, as a query to count and group:
 * scoring (live or in a rescore) taking a lead from below MQL to MQL or SQL, merged leads left
 * out. The same handovers the follow-up agreement runs on (`followUp/handovers.ts`), for the
 * overview's MQL counts.
 *
 * @example
 * const { n } = await handoverChanges(db, 'demo').select((eb) => eb.fn.countAll().as('n')).where('stage_changes.at', '>=', from).executeTakeFirstOrThrow();
 */
export function handoverChanges(db: Kysely<Database>, site: string) {
  return db
    .selectFrom('stage_changes')
    // The lead checked per change (by its primary key), not joined: a join lets SQLite's planner
    // walk every lead of the site when a site has most of them, instead of the period's changes by time.
    .where(({ exists, selectFrom }) => exists(selectFrom('leads').select('leads.id').whereRef('leads.id', '=', 'stage_changes.lead_id').where('leads.site_id', '=', site).where('leads.merged_into', 'is', null)))
    .where('stage_changes.to_stage', 'in', ['mql', 'sql'])
    .where('stage_changes.from_stage', 'in', ['visitor', 'lead', 'recycled'])
    .where('stage_changes.source', 'in', ['scoring', 'rescore']);
}
