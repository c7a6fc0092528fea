import { type Kysely, type Migration } from 'kysely';

/**
 * Whether a browser's link lets it change the lead's known traits: only the browser whose event
 * made the lead, or a link a trusted source made (an API key's holder). A browser that got its
 * link by claiming a known lead's email may add traits the lead lacks, never change known ones,
 * on that request and every later one. Links made before this column keep the right they had.
 */
export const linkOwners: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('lead_visitors').addColumn('owns_traits', 'integer', (col) => col.notNull().defaultTo(1)).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('lead_visitors').dropColumn('owns_traits').execute();
  },
};
