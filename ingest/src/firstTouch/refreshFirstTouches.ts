import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { computeFirstTouches } from './computeFirstTouches.js';

/** Leads a pass recomputes: a few queries and one update. */
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
  // One statement for the pass: each lead's touch, cleared only if its count is still the one read.
  const rows = found.flatMap(({ leads, touches }) =>
    leads.map((lead) => {
      const t = touches.get(lead.id)!;
      return sql`(cast(${lead.id} as varchar(40)), cast(${lead.touch_pending} as integer), cast(${t.path} as text), cast(${t.stage} as varchar(10)), cast(${t.category} as varchar(100)), cast(${t.source} as varchar(200)), cast(${t.medium} as varchar(200)), cast(${t.campaign} as varchar(200)), cast(${t.referred ? 1 : 0} as integer))`;
    }),
  );
  // VALUES columns are column1… on both dialects; UPDATE … FROM is SQLite 3.33+ and PostgreSQL.
  await sql`update leads set touch_path = v.column3, touch_stage = v.column4, touch_category = v.column5, touch_source = v.column6, touch_medium = v.column7, touch_campaign = v.column8, touch_referred = v.column9, touch_pending = 0
    from (values ${sql.join(rows)}) as v
    where leads.id = v.column1 and leads.touch_pending = v.column2`.execute(db);
  return due.length;
}
