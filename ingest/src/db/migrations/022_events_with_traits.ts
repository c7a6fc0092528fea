import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The events that carry traits (forms, identify calls, server-side events whose user id is an
 * email), by site: an export or erasure finds every event naming the person's email among
 * these (`privacy/eventsNaming.ts`), also those of browsers never linked to the lead, instead of
 * reading every event of the site. Partial, so page views and the other events without traits
 * (nearly all of them) add nothing to it; the same index on SQLite and PostgreSQL.
 */
export const eventsWithTraits: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('events_site_traits').on('events').column('site_id').where(sql.ref('traits'), 'is not', null).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('events_site_traits').execute();
  },
};
