import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Each lead's first touch, kept on the lead: the page of its first page view (path, funnel
 * stage, category) and the campaign of its first visit. The overview's first-touch split and
 * the weekly evaluation read these columns instead of finding every lead's first events at
 * read time (seconds at 100,000 leads). Writers bump `touch_seq` whenever a lead's events or
 * links change; a background job (`firstTouch/`) recomputes leads whose `touch_seq` is ahead of
 * `touch_done` and records the count it computed for. The count only grows, so a change during
 * a pass (or after another process's) always leaves the lead pending. Existing leads start
 * pending, so the job fills them after the upgrade.
 */
export const leadFirstTouch: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('leads')
      .addColumn('touch_seq', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .alterTable('leads')
      .addColumn('touch_done', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    for (const [name, type] of [
      ['touch_path', 'text'],
      ['touch_stage', 'varchar(10)'],
      ['touch_category', 'varchar(100)'],
      ['touch_source', 'varchar(200)'],
      ['touch_medium', 'varchar(200)'],
      ['touch_campaign', 'varchar(200)'],
    ] as const) {
      await db.schema.alterTable('leads').addColumn(name, type).execute();
    }
    // 1 when the first visit came from another site without UTM tags (a referral).
    await db.schema
      .alterTable('leads')
      .addColumn('touch_referred', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // How far the lead has come, as bits: 1 handed to sales by scoring (the follow-up
    // agreement's handover), 2 SQL, 4 customer. Set with each stage change; filled here from
    // the stage changes already stored.
    await db.schema
      .alterTable('leads')
      .addColumn('reached', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`UPDATE leads SET reached = (SELECT
        coalesce(max(CASE WHEN sc.to_stage IN ('mql', 'sql') AND sc.from_stage IN ('visitor', 'lead', 'recycled') AND sc.source IN ('scoring', 'rescore') THEN 1 ELSE 0 END), 0)
        + 2 * coalesce(max(CASE WHEN sc.to_stage = 'sql' THEN 1 ELSE 0 END), 0)
        + 4 * coalesce(max(CASE WHEN sc.to_stage = 'customer' THEN 1 ELSE 0 END), 0)
      FROM stage_changes sc WHERE sc.lead_id = leads.id)`.execute(db);
    // The overview's split of a period's new leads reads this index alone.
    await db.schema
      .createIndex('leads_site_created_touch')
      .on('leads')
      .columns(['site_id', 'created_at', 'merged_into', 'touch_stage', 'touch_source', 'touch_medium', 'touch_campaign', 'touch_referred', 'reached'])
      .execute();
    // Only pending leads are indexed: the job's look-up stays small however many leads there are.
    await db.schema
      .createIndex('leads_touch_pending')
      .on('leads')
      .columns(['id'])
      .where(sql.ref('touch_seq'), '>', sql.ref('touch_done'))
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('leads_touch_pending').execute();
    await db.schema.dropIndex('leads_site_created_touch').execute();
    for (const name of ['reached', 'touch_referred', 'touch_campaign', 'touch_medium', 'touch_source', 'touch_category', 'touch_stage', 'touch_path', 'touch_done', 'touch_seq']) {
      await db.schema.alterTable('leads').dropColumn(name).execute();
    }
  },
};
