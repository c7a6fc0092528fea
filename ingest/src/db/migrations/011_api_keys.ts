import type { Kysely, Migration } from 'kysely';

/**
 * Named API keys with scopes (`read`, `write`, `admin`). Only a SHA-256 of each key is stored:
 * the key is shown once at creation. Revoked keys stay (revoked_at set) so the list keeps
 * saying who had access.
 */
export const apiKeys: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('prefix', 'varchar(20)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('api_keys').execute();
  },
};
