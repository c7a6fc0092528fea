import type { Kysely, Migration } from 'kysely';

/**
 * One row per visit: the campaign (UTM parameters, ad click ids, external referrer) that
 * started it, so every later event of the visit is attributed to it.
 */
export const sessions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('sessions')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('session_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('campaign', 'text')
      .addPrimaryKeyConstraint('sessions_pk', ['site_id', 'session_id'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('sessions').execute();
  },
};
