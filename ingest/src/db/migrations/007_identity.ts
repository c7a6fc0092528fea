import type { Kysely, Migration } from 'kysely';

/**
 * Identity over time: a visitor's link counts from a moment on (a shared computer hands the
 * browser from one lead to the next), earlier links are kept with their time range, every
 * link decision is logged, and a merged lead points at its survivor.
 */
export const identity: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('lead_visitors').addColumn('from_ts', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .createTable('past_links')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('from_ts', 'bigint', (c) => c.notNull())
      .addColumn('until_ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('past_links_pk', ['site_id', 'visitor_id', 'from_ts'])
      .execute();
    await db.schema.createIndex('past_links_lead').on('past_links').column('lead_id').execute();
    await db.schema
      .createTable('identity_log')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)')
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('other_lead_id', 'varchar(40)')
      .addColumn('kind', 'varchar(20)', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('identity_log_lead').on('identity_log').columns(['lead_id', 'at']).execute();
    await db.schema.alterTable('leads').addColumn('merged_into', 'varchar(40)').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('identity_log').execute();
    await db.schema.dropTable('past_links').execute();
  },
};
