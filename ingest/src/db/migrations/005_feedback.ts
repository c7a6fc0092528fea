import type { Kysely, Migration } from 'kysely';

/** Sales feedback on leads: what sales said, when, and how fast after the handover. */
export const feedback: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('feedback')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('lead_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('type', 'varchar(20)', (c) => c.notNull())
      .addColumn('reason', 'varchar(40)')
      .addColumn('note', 'text')
      .addColumn('by_user', 'varchar(200)')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('handover_at', 'bigint')
      .addColumn('response_ms', 'bigint')
      .execute();
    await db.schema.createIndex('feedback_lead').on('feedback').columns(['lead_id', 'at']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('feedback').execute();
  },
};
