import type { Kysely, Migration } from 'kysely';

/** Lead lookups list the leads merged into each one: without this index that scans every lead. */
export const mergedIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('leads_merged_into').on('leads').column('merged_into').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('leads_merged_into').execute();
  },
};
