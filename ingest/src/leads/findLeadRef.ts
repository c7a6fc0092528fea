import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { normaliseEmail } from './email.js';

/**
 * The lead a person means by an email or a lead id, within one site: a merged lead stands for
 * the lead it was merged into. Undefined when there is none.
 *
 * @example
 * const lead = await findLeadRef(db, 'demo', 'Ana@Fernhill.example'); // { id: 'ld_…', email: 'ana@fernhill.example' }
 */
export async function findLeadRef(db: Kysely<Database>, site: string, ref: string): Promise<{ id: string; email: string } | undefined> {
  const text = ref.trim();
  const email = text.includes('@') ? normaliseEmail(text) : undefined;
  if (text.includes('@') && !email) return undefined;
  const base = db.selectFrom('leads').select(['id', 'email', 'merged_into']).where('site_id', '=', site);
  let lead = await (email ? base.where('email', '=', email) : base.where('id', '=', text)).executeTakeFirst();
  for (let hops = 0; lead?.merged_into && hops < 10; hops++) lead = await base.where('id', '=', lead.merged_into).executeTakeFirst();
  return lead && !lead.merged_into ? { id: lead.id, email: lead.email } : undefined;
}
