import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The id a lead id stands for now: itself, or the lead it was merged into (following a chain of
 * merges); undefined for an id that is no lead. A CRM keeps the ids earlier webhooks named, so
 * every route that takes a lead id answers for the surviving lead, as lookups do.
 *
 * @example
 * const id = await survivingLeadId(db, 'ld_merged'); // 'ld_survivor'
 */
export async function survivingLeadId(db: Kysely<Database>, id: string): Promise<string | undefined> {
  let lead = await db.selectFrom('leads').select(['id', 'merged_into']).where('id', '=', id).executeTakeFirst();
  for (let hops = 0; lead?.merged_into && hops < 10; hops++) lead = await db.selectFrom('leads').select(['id', 'merged_into']).where('id', '=', lead.merged_into).executeTakeFirst();
  return lead && !lead.merged_into ? lead.id : undefined;
}
