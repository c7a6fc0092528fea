import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Marks leads whose events or links changed in ways that can move their first touch (a browser
 * linked or switched, an event older than their last, a merge, another lead's erasure on a
 * shared browser): the first-touch job recomputes them. The count only grows, so a pass that
 * computed before this change can never mark them current. Leads a caller already locked are
 * updated in id order, as every writer locks them.
 *
 * @example
 * await markFirstTouchesChanged(trx, ['ld_a']);
 */
export async function markFirstTouchesChanged(trx: Kysely<Database>, leadIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(leadIds)].sort();
  for (let i = 0; i < ids.length; i += 500) {
    await trx
      .updateTable('leads')
      .set({ touch_seq: sql<number>`touch_seq + 1` })
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
  }
}
