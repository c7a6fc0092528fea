import { type Kysely, type Migration } from 'kysely';

/**
 * Whether an event came with a secret key (a backend or CRM through the server-side API) rather
 * than from a browser or the public site key: anyone can send the latter, so a rule that
 * qualifies a lead at once can ask for the former (`match.sentBy: "server"`). Events stored
 * before this column count as sent by a browser.
 */
export const trustedEvents: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('events').addColumn('trusted', 'integer', (col) => col.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('events').dropColumn('trusted').execute();
  },
};
