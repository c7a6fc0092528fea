import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Handovers to sales kept ready for the reports. Stage changes had no site, so every report
 * checked each stage change of the period against its lead, and the follow-up summary joined
 * feedback to each handover to find its first answer (100–800 ms at 100,000 leads). Stage
 * changes now carry:
 *
 * - `site_id`, their lead's (a lead never changes site; a merge keeps to one site);
 * - `handover`: 1 when scoring (live or in a rescore) took the lead from below MQL to MQL or
 *   SQL, the handover the follow-up agreement and the reports count (`leads.reached` bit 1);
 * - `first_answer_at`, on handovers: the time of the lead's first feedback at or after the
 *   handover, kept exact by the writers (`recordStageChanges` looks it up for a new handover,
 *   `recordFeedback` sets it on the handovers a feedback answers first);
 * - `awaiting`, on handovers: 1 while sales owes an answer (no feedback yet, and the lead is
 *   MQL or SQL: a rescore that took it back below MQL leaves sales nothing to answer), kept by
 *   `recordStageChanges` from each lead's stage after its changes and cleared by
 *   `recordFeedback`, so open and overdue MQLs are counted without reading the leads;
 * - `prev_handover_at`, on handovers: the time of the lead's previous handover (in time and id
 *   order; null for its first). A lead's first handover in a period is the one whose previous
 *   one is before the period, so distinct MQLs a period or a day are counted without
 *   `count(distinct)` (`recordStageChanges` keeps it for the leads it records handovers of).
 *
 * All are filled here from what is stored (`fillHandovers`). The reports read ranges of two indexes keyed
 * by site first and then time, from the index alone.
 */
export const handovers: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('stage_changes').addColumn('site_id', 'varchar(100)').execute();
    await db.schema
      .alterTable('stage_changes')
      .addColumn('handover', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('stage_changes').addColumn('first_answer_at', 'bigint').execute();
    await db.schema.alterTable('stage_changes').addColumn('prev_handover_at', 'bigint').execute();
    await db.schema
      .alterTable('stage_changes')
      .addColumn('awaiting', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await fillHandovers(db);
    // Handovers of a site in a period (MQL counts, follow-up summary, speed to lead, weekly
    // evaluation, the breach checker), with what they read and their order (time, id): no row is visited.
    await db.schema.createIndex('stage_changes_site_handover_at').on('stage_changes').columns(['site_id', 'handover', 'at', 'id', 'lead_id', 'first_answer_at', 'prev_handover_at', 'awaiting']).execute();
    // SQLs and customers of a site in a period.
    await db.schema.createIndex('stage_changes_site_to_stage_at').on('stage_changes').columns(['site_id', 'to_stage', 'at', 'lead_id']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('stage_changes_site_to_stage_at').execute();
    await db.schema.dropIndex('stage_changes_site_handover_at').execute();
    for (const name of ['awaiting', 'prev_handover_at', 'first_answer_at', 'handover', 'site_id']) await db.schema.alterTable('stage_changes').dropColumn(name).execute();
  },
};

/**
 * Fills the kept columns of every stage change from the stored leads, stage changes and
 * feedback: set-based, the same SQL on both dialects (the migration's backfill, and what a test
 * compares with the write path).
 *
 * @example
 * await fillHandovers(db);
 */
export async function fillHandovers(db: Kysely<any>) {
  // A stage change whose lead is gone keeps no site (reports left it out before too: they checked the lead).
  await sql`UPDATE stage_changes SET
      site_id = (SELECT leads.site_id FROM leads WHERE leads.id = stage_changes.lead_id),
      handover = CASE WHEN to_stage IN ('mql', 'sql') AND from_stage IN ('visitor', 'lead', 'recycled') AND source IN ('scoring', 'rescore') THEN 1 ELSE 0 END`.execute(db);
  await sql`UPDATE stage_changes SET
      first_answer_at = (SELECT min(feedback.at) FROM feedback WHERE feedback.lead_id = stage_changes.lead_id AND feedback.at >= stage_changes.at),
      prev_handover_at = (SELECT max(p.at) FROM stage_changes p
        WHERE p.lead_id = stage_changes.lead_id AND p.handover = 1 AND (p.at < stage_changes.at OR (p.at = stage_changes.at AND p.id < stage_changes.id)))
    WHERE handover = 1`.execute(db);
  await sql`UPDATE stage_changes SET awaiting = 1
    WHERE handover = 1 AND first_answer_at IS NULL AND lead_id IN (SELECT id FROM leads WHERE stage IN ('mql', 'sql'))`.execute(db);
}
