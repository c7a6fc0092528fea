import type { Kysely, Migration } from 'kysely';

/** The retention job finds visitors by last visit and deletes their sessions by visitor. */
export const retentionIndexes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('visitors_site_last_seen').on('visitors').columns(['site_id', 'last_seen_at']).execute();
    await db.schema.createIndex('sessions_site_visitor').on('sessions').columns(['site_id', 'visitor_id']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('sessions_site_visitor').execute();
    await db.schema.dropIndex('visitors_site_last_seen').execute();
  },
};
