import type { Kysely, Migration } from 'kysely';

/**
 * Sessions of the marketer's dashboard (/app). The cookie holds a random token; only its
 * SHA-256 is stored, never the key that signed in, so a copy of the database opens no session.
 */
export const appSessions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('app_sessions')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('key_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('holder', 'varchar(120)', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('app_sessions_expires_at').on('app_sessions').columns(['expires_at']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('app_sessions').execute();
  },
};
