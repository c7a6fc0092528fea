import type { Kysely, Migration } from 'kysely';

/**
 * The group-commit write path: a per-visitor daily event count (the cap that keeps any one
 * client from growing a history without end), and the queue of subjects whose scores are
 * replayed off the request path.
 */
export const writePath: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('visitors').addColumn('day_start', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('visitors').addColumn('day_events', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .createTable('replay_queue')
      .addColumn('subject', 'varchar(180)', (c) => c.primaryKey())
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('kind', 'varchar(10)', (c) => c.notNull())
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('requested_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until', 'bigint')
      .execute();
    await db.schema.createIndex('replay_queue_requested').on('replay_queue').columns(['requested_at']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('replay_queue').execute();
    await db.schema.alterTable('visitors').dropColumn('day_events').execute();
    await db.schema.alterTable('visitors').dropColumn('day_start').execute();
  },
};
