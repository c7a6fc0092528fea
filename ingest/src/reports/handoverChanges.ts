import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The stage changes that handed a site's leads to sales, as a query to count and group:
 * scoring (live or in a rescore) taking a lead from below MQL to MQL or SQL (`handover`,
 * marked when the change is recorded), merged leads left out. The same handovers the follow-up
 * agreement runs on (`followUp/handovers.ts`), for the overview's MQL counts. Add a time range
 * on `stage_changes.at`: it reads the `stage_changes_site_handover_at` index, which holds the
 * lead and the first answer too. Without a site, every site's (the API's all-sites report):
 * read by the `stage_changes_at` index's range of the period instead; stage changes whose lead
 * was already gone when migration 018 ran (no site) stay out, as they do per site.
 *
 * @example
 * const { n } = await handoverChanges(db, 'demo').select((eb) => eb.fn.countAll().as('n')).where('stage_changes.at', '>=', from).executeTakeFirstOrThrow();
 */
export function handoverChanges(db: Kysely<Database>, site: string | undefined) {
  const changes = db.selectFrom('stage_changes');
  const ofSite = site === undefined ? changes.where('stage_changes.site_id', 'is not', null) : changes.where('stage_changes.site_id', '=', site);
  return notMerged(db, ofSite.where('stage_changes.handover', '=', 1));
}

/**
 * The handovers of a site in `[from, to)` that are their lead's first there (each lead once,
 * merged leads left out): those whose lead's previous handover came before `from`. Count them
 * for distinct MQLs without `count(distinct)`.
 *
 * @example
 * const { n } = await firstHandovers(db, 'demo', { from, to }).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
 */
export function firstHandovers(db: Kysely<Database>, site: string, { from, to }: { from: number; to: number }) {
  return handoverChanges(db, site)
    .where('stage_changes.at', '>=', from)
    .where('stage_changes.at', '<', to)
    .where((eb) => eb.or([eb('stage_changes.prev_handover_at', 'is', null), eb('stage_changes.prev_handover_at', '<', from)]));
}

/**
 * A site's stage changes to one stage (SQL, customer), as a query to count: merged leads left
 * out, read by the `stage_changes_site_to_stage_at` index once a time range on
 * `stage_changes.at` is added.
 *
 * @example
 * const { n } = await stageReached(db, 'demo', 'sql').select(sql`count(distinct stage_changes.lead_id)`.as('n')).where('stage_changes.at', '>=', from).executeTakeFirstOrThrow();
 */
export function stageReached(db: Kysely<Database>, site: string, stage: 'sql' | 'customer') {
  return notMerged(db, db.selectFrom('stage_changes').where('stage_changes.site_id', '=', site).where('stage_changes.to_stage', '=', stage));
}

/**
 * Leaves out the stage changes of leads merged into another (their history stays under their
 * own id). Merged leads are few and read once (by `leads_merged_into`), instead of checking
 * every stage change against its lead.
 */
function notMerged(db: Kysely<Database>, query: SelectQueryBuilder<Database, 'stage_changes', {}>) {
  // `> ''` (every merged lead, of any site) rather than `is not null` and the site: SQLite's
  // planner, without statistics, reads those by scanning all the site's leads.
  return query.where('stage_changes.lead_id', 'not in', db.selectFrom('leads').select('leads.id').where('leads.merged_into', '>', ''));
}
