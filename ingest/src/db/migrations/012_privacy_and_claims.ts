import type { Kysely, Migration } from 'kysely';

/**
 * An audit log without personal data (erasures), the history of every lead trait change with
 * its source, and identity claims per client (which addresses created leads or linked new
 * browsers to them recently): the guardrails that keep one client from taking over a lead.
 */
export const privacyAndClaims: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'varchar(100)', (c) => c.notNull())
      .addColumn('action', 'varchar(40)', (c) => c.notNull())
      .addColumn('subject', 'varchar(100)', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();
    await db.schema
      .createTable('trait_changes')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('trait', 'varchar(40)', (c) => c.notNull())
      .addColumn('value', 'text')
      .addColumn('previous', 'text')
      .addColumn('source', 'varchar(120)', (c) => c.notNull())
      .addColumn('visitor_id', 'varchar(64)')
      .addColumn('accepted', 'integer', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trait_changes_lead').on('trait_changes').columns(['lead_id', 'at']).execute();
    await db.schema
      .createTable('identity_claims')
      .addColumn('site_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('client_key', 'varchar(40)', (c) => c.notNull())
      .addColumn('kind', 'varchar(10)', (c) => c.notNull())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('identity_claims_client').on('identity_claims').columns(['site_id', 'client_key', 'at']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['identity_claims', 'trait_changes', 'audit_log']) await db.schema.dropTable(t).execute();
  },
};
