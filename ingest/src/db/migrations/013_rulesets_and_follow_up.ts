import type { Kysely, Migration } from 'kysely';

/** Rule sets as versions in the database (the config file seeds the first) and follow-up agreements with sales (MQL response times, breaches raised once). */
export const rulesetsAndFollowUp: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('ruleset_versions')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('version', 'varchar(20)', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('source', 'varchar(10)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(100)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text')
      // Two processes importing the same changed config file compute the same key: one row.
      .addColumn('import_key', 'varchar(64)', (c) => c.unique())
      .addColumn('rescore_state', 'varchar(12)')
      .addColumn('rescore_claimed_until', 'bigint')
      .addColumn('rescore_report', 'text')
      .addColumn('rescore_started_at', 'bigint')
      .addColumn('rescore_finished_at', 'bigint')
      .addColumn('rescore_error', 'text')
      .execute();
    await db.schema.createIndex('ruleset_versions_site').on('ruleset_versions').columns(['site_id', 'created_at']).execute();
    await db.schema.createIndex('ruleset_versions_rescore').on('ruleset_versions').columns(['rescore_state']).execute();
    await db.schema
      .createTable('rulesets_in_effect')
      .addColumn('site_id', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('ruleset_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('version', 'varchar(20)', (c) => c.notNull())
      .addColumn('since', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('follow_up_breaches')
      .addColumn('handover_id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('qualified_at', 'bigint', (c) => c.notNull())
      .addColumn('deadline_at', 'bigint', (c) => c.notNull())
      .addColumn('breached_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('follow_up_breaches_site').on('follow_up_breaches').columns(['site_id', 'qualified_at']).execute();
    // Handovers by time (the follow-up checker and reports), and rule hits by time with what
    // hits per rule add up, so that count reads the index alone.
    await db.schema.createIndex('stage_changes_at').on('stage_changes').columns(['at']).execute();
    await db.schema.createIndex('score_hits_ts').on('score_hits').columns(['ts', 'rule_id', 'points', 'subject']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('score_hits_ts').execute();
    await db.schema.dropIndex('stage_changes_at').execute();
    for (const t of ['follow_up_breaches', 'rulesets_in_effect', 'ruleset_versions']) await db.schema.dropTable(t).execute();
  },
};
