import type { Kysely, Migration } from 'kysely';

/** Leads, the visitors linked to them, scores with their rule hits, and the stage history. */
export const leadsAndScores: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('leads')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('email', 'varchar(320)', (c) => c.notNull())
      .addColumn('traits', 'text', (c) => c.notNull())
      .addColumn('stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('score_state', 'text', (c) => c.notNull())
      .addColumn('rule_version', 'varchar(20)', (c) => c.notNull())
      .addColumn('engagement', 'double precision', (c) => c.notNull())
      .addColumn('engagement_at', 'bigint', (c) => c.notNull())
      .addColumn('fit', 'double precision', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('leads_site_email').on('leads').columns(['site_id', 'email']).unique().execute();
    await db.schema.createIndex('leads_updated').on('leads').columns(['updated_at', 'id']).execute();
    await db.schema.createIndex('leads_stage').on('leads').columns(['stage', 'updated_at']).execute();

    await db.schema
      .createTable('lead_visitors')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('linked_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('lead_visitors_pk', ['site_id', 'visitor_id'])
      .execute();
    await db.schema.createIndex('lead_visitors_lead').on('lead_visitors').column('lead_id').execute();

    await db.schema.alterTable('visitors').addColumn('score_state', 'text').execute();
    await db.schema.alterTable('visitors').addColumn('engagement', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('visitors').addColumn('engagement_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

    await db.schema
      .createTable('score_hits')
      .addColumn('subject', 'varchar(180)', (c) => c.notNull())
      .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('rule_id', 'varchar(60)', (c) => c.notNull())
      .addColumn('points', 'double precision', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('score_hits_pk', ['subject', 'event_id', 'rule_id'])
      .execute();

    await db.schema
      .createTable('stage_changes')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('from_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('to_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('cause', 'varchar(200)', (c) => c.notNull())
      .addColumn('source', 'varchar(20)', (c) => c.notNull())
      .addColumn('engagement', 'double precision', (c) => c.notNull())
      .addColumn('fit', 'double precision', (c) => c.notNull())
      .addColumn('rule_version', 'varchar(20)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('stage_changes_lead').on('stage_changes').columns(['lead_id', 'at']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['stage_changes', 'score_hits', 'lead_visitors', 'leads']) await db.schema.dropTable(t).execute();
  },
};
