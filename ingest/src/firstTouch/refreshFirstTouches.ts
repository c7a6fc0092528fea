import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { rebuildLeadPages } from '../leadPages/leadPages.js';
import { computeFirstTouches } from './computeFirstTouches.js';

/** Leads a pass recomputes: a few queries and one update. */
const BATCH = 500;

/**
 * One pass of the first-touch job: takes up to `limit` leads whose events or links changed since
 * their first touch was stored (`touch_seq` ahead of `touch_done`), finds their first touches,
 * rebuilds their pages (`leadPages/`) and stores both with the count they were computed for.
 * The count only grows, so a change that lands during the pass (or after another process's
 * pass) leaves the lead pending for the next one, and an older computation never overwrites a newer one. Safe in every process at once: on
 * PostgreSQL the rows are locked in id order, as writers lock them, skipping those a writer
 * holds (they stay pending). Returns how many leads were due; fewer than `limit` means none are
 * left.
 *
 * @example
 * while ((await refreshFirstTouches(db)) === 500);
 */
export async function refreshFirstTouches(db: Kysely<Database>, limit = BATCH): Promise<number> {
  // The literal predicate lets both planners use the partial index of pending leads.
  const due = await db.selectFrom('leads').select(['id', 'site_id', 'touch_seq']).where(sql<boolean>`touch_seq > touch_done`).orderBy('id').limit(limit).execute();
  if (!due.length) return 0;
  const bySite = new Map<string, typeof due>();
  for (const lead of due) bySite.set(lead.site_id, [...(bySite.get(lead.site_id) ?? []), lead]);
  const found = await Promise.all([...bySite].map(async ([site, leads]) => ({ leads, touches: await computeFirstTouches(db, site, leads.map((l) => l.id)) })));
  await db.transaction().execute(async (trx) => {
    let computed = found.flatMap(({ leads, touches }) => leads.map((lead) => ({ lead, touch: touches.get(lead.id)! })));
    if (isPostgres(trx)) {
      const locked = await trx
        .selectFrom('leads')
        .select('id')
        .where(
          'id',
          'in',
          computed.map((c) => c.lead.id),
        )
        .orderBy('id')
        .forUpdate()
        .skipLocked()
        .execute();
      const ids = new Set(locked.map((r) => r.id));
      computed = computed.filter((c) => ids.has(c.lead.id));
    }
    if (!computed.length) return;
    // The leads' pages (leadPages/) change with the same marks: rebuilt from their events here,
    // under the rows' locks (a writer adding a page view waits), after `due` was read, so they
    // hold every change the stored count covers.
    const locked = new Map<string, string[]>();
    for (const { lead } of computed) locked.set(lead.site_id, [...(locked.get(lead.site_id) ?? []), lead.id]);
    for (const [site, ids] of locked) await rebuildLeadPages(trx, site, ids);
    const rows = computed.map(
      ({ lead, touch: t }) =>
        sql`(cast(${lead.id} as varchar(40)), cast(${lead.touch_seq} as integer), cast(${t.path} as text), cast(${t.stage} as varchar(10)), cast(${t.category} as varchar(100)), cast(${t.source} as varchar(200)), cast(${t.medium} as varchar(200)), cast(${t.campaign} as varchar(200)), cast(${t.referred ? 1 : 0} as integer))`,
    );
    // One statement for the pass. VALUES columns are column1… on both dialects; UPDATE … FROM is
    // SQLite 3.33+ and PostgreSQL.
    await sql`update leads set touch_path = v.column3, touch_stage = v.column4, touch_category = v.column5, touch_source = v.column6, touch_medium = v.column7, touch_campaign = v.column8, touch_referred = v.column9, touch_done = v.column2
      from (values ${sql.join(rows)}) as v
      where leads.id = v.column1 and leads.touch_done < v.column2`.execute(trx);
  });
  return due.length;
}
