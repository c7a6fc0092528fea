import type { Kysely, Migration } from 'kysely';

/** Raw events and the per-visitor rollup that visitor lookups read. */
export const eventsAndVisitors: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('events')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('id', 'varchar(64)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('session_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('type', 'varchar(20)', (c) => c.notNull())
      .addColumn('name', 'varchar(200)')
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('client_ts', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('visit', 'integer', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('referrer', 'text')
      .addColumn('title', 'text')
      .addColumn('stage', 'varchar(10)')
      .addColumn('category', 'varchar(100)')
      .addColumn('campaign', 'text')
      .addColumn('props', 'text')
      .addPrimaryKeyConstraint('events_pk', ['site_id', 'id'])
      .execute();
    // A visitor's history, newest first, is the hot read path.
    await db.schema.createIndex('events_visitor_ts').on('events').columns(['visitor_id', 'ts', 'id']).execute();

    await db.schema
      .createTable('visitors')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('visits', 'integer', (c) => c.notNull())
      .addColumn('events', 'integer', (c) => c.notNull())
      .addColumn('pageviews', 'integer', (c) => c.notNull())
      .addColumn('pageviews_top', 'integer', (c) => c.notNull())
      .addColumn('pageviews_middle', 'integer', (c) => c.notNull())
      .addColumn('pageviews_bottom', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('visitors_pk', ['site_id', 'visitor_id'])
      .execute();
    await db.schema.createIndex('visitors_visitor').on('visitors').column('visitor_id').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('visitors').execute();
    await db.schema.dropTable('events').execute();
  },
};
