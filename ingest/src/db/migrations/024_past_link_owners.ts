import { type Kysely, type Migration } from 'kysely';

/**
 * Whether a browser's earlier link let it change that lead's traits (`lead_visitors.owns_traits`,
 * kept when the browser switches leads or its lead is merged away): a claimant's events in that
 * window only fill the lead's unknown traits in replays, as they did while it was linked.
 * Earlier links recorded before this column keep the right they had.
 */
export const pastLinkOwners: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('past_links').addColumn('owns_traits', 'integer', (col) => col.notNull().defaultTo(1)).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('past_links').dropColumn('owns_traits').execute();
  },
};
