import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { computeFirstTouches } from './computeFirstTouches.js';

/** Leads a pass recomputes: a few queries and one short transaction. */
const BATCH = 500;

/**
 * One pass of the first-touch job: takes up to `limit` leads whose events changed since their
 * first touch was stored (`touch_pending` > 0), finds their first touches and stores them.
 * Each lead is cleared only if no writer bumped it meanwhile (the update matches the count it
 * read), so a change that lands during the pass is picked up by the next one. Safe to run in
 * every process at once: the worst case is the same lead computed twice. Returns how many were
 * stored; fewer than `limit` means none are left.
 *
 * @example
 * while ((await refreshFirstTouches(db)) === 500);
 */
export async function refreshFirstTouches(db: Kysely<Database>, limit = BATCH): Promise<number> {
  const due = await db.selectFrom('leads').select(['id', 'site_id', 'touch_pending']).where(sql<boolean>`touch_pending > 0`).orderBy('touch_pending').orderBy('id').limit(limit).execute();
  if (!due.length) return 0;
  const bySite = new Map<string, typeof due>();
  for (const lead of due) bySite.set(lead.site_id, [...(bySite.get(lead.site_id) ?? []), lead]);
  const found = await Promise.all([...bySite].map(async ([site, leads]) => ({ leads, touches: await computeFirstTouches(db, site, leads.map((l) => l.id)) })));
  await db.transaction().execute(async (trx) => {
    for (const { leads, touches } of found) {
      for (const lead of leads) {
        const t = touches.get(lead.id)!;
        await trx
          .updateTable('leads')
          .set({ touch_path: t.path, touch_stage: t.stage, touch_category: t.category, touch_source: t.source, touch_medium: t.medium, touch_campaign: t.campaign, touch_referred: t.referred ? 1 : 0, touch_pending: 0 })
          .where('id', '=', lead.id)
          .where('touch_pending', '=', lead.touch_pending)
          .execute();
      }
    }
  });
  return due.length;
}
