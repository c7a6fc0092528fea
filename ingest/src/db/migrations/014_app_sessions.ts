import type { Kysely, Migration } from 'kysely';

/** Sessions of the marketer's dashboard (/app): a hash of the session token, never the key. */
export const appSessions: Migration = {
  async up(_db: Kysely<any>) {},
  async down(_db: Kysely<any>) {},
};
