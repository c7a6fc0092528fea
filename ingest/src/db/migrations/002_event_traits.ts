import type { Kysely, Migration } from 'kysely';

/** Lead traits carried by form and identify events (JSON), for linking visitors to leads. */
export const eventTraits: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('events').addColumn('traits', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('events').dropColumn('traits').execute();
  },
};
