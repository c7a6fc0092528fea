import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, LeadPagesTable } from '../db/schema.js';

/** Rows a multi-row statement takes at once (5 columns: far below either dialect's limit). */
const CHUNK = 500;

/**
 * The windows in which a browser's events count for a lead, as scoring and the first touch
 * count them (`eventsOfLead`): the current link from its start, each earlier link within its
 * range (`until_ts` null: open).
 *
 * @example
 * db.selectFrom(leadWindows(db, 'demo', ['ld_a']).as('w'))…
 */
export function leadWindows(db: Kysely<Database>, site: string, leadIds: string[] | SelectQueryBuilder<Database, any, { lead_id: string }>) {
  return db
    .selectFrom('lead_visitors')
    .select(['lead_id', 'visitor_id', 'from_ts', sql<number | null>`cast(null as bigint)`.as('until_ts')])
    .where('site_id', '=', site)
    .where('lead_id', 'in', leadIds as string[])
    .unionAll(db.selectFrom('past_links').select(['lead_id', 'visitor_id', 'from_ts', 'until_ts']).where('site_id', '=', site).where('lead_id', 'in', leadIds as string[]));
}

/**
 * Adds page views to their leads' pages, as the write path stores them: a page new to the lead
 * gets a row, an earlier view of a known one lowers its `first_at` (so a late event is as exact
 * as an in-order one), anything else changes nothing. One upsert a chunk, in key order; the
 * caller holds the leads' locks, so no rebuild by the first-touch job runs meanwhile.
 *
 * @example
 * await recordLeadPages(trx, [{ site_id: 'demo', lead_id: 'ld_a', path: '/pricing', stage: 'bottom', first_at: ts }]);
 */
export async function recordLeadPages(trx: Kysely<Database>, views: LeadPagesTable[]): Promise<void> {
  if (!views.length) return;
  // A group repeats pages (a visitor reading on): one row a page, its earliest view.
  const first = new Map<string, LeadPagesTable>();
  for (const v of views) {
    const key = `${v.site_id}\u0000${v.lead_id}\u0000${v.path}\u0000${v.stage}`;
    const seen = first.get(key);
    if (!seen || v.first_at < seen.first_at) first.set(key, v);
  }
  const rows = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('lead_pages')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['site_id', 'lead_id', 'path', 'stage'])
          .doUpdateSet((eb) => ({ first_at: eb.ref('excluded.first_at') }))
          .where('lead_pages.first_at', '>', (eb) => eb.ref('excluded.first_at')),
      )
      .execute();
  }
}

/**
 * Rebuilds leads' pages from their events and links: what the first-touch job does for leads a
 * writer marked (a browser linked, switched or merged in, another person erased from a shared
 * browser). Set-based: one delete and one INSERT … SELECT a batch, each link's page views read
 * by the events' visitor-and-time index. Run it inside a transaction that holds the leads
 * (`FOR UPDATE` on PostgreSQL), so no writer adds a page view between the two statements.
 *
 * @example
 * await rebuildLeadPages(trx, 'demo', ['ld_a', 'ld_b']);
 */
export async function rebuildLeadPages(trx: Kysely<Database>, site: string, leadIds: string[]): Promise<void> {
  for (let i = 0; i < leadIds.length; i += CHUNK) {
    const ids = leadIds.slice(i, i + CHUNK);
    await trx.deleteFrom('lead_pages').where('site_id', '=', site).where('lead_id', 'in', ids).execute();
    await trx
      .insertInto('lead_pages')
      .columns(['site_id', 'lead_id', 'path', 'stage', 'first_at'])
      .expression(
        trx
          .selectFrom(leadWindows(trx, site, ids).as('w'))
          // CROSS JOIN with the conditions in WHERE keeps SQLite's join order (links, then each
          // browser's events by index range), as in the content report.
          .crossJoin('events as e')
          .where('e.site_id', '=', site)
          .whereRef('e.visitor_id', '=', 'w.visitor_id')
          .whereRef('e.ts', '>=', 'w.from_ts')
          .where((eb) => eb.or([eb('w.until_ts', 'is', null), eb('e.ts', '<', eb.ref('w.until_ts'))]))
          .where('e.type', '=', 'pageview')
          .select([sql<string>`cast(${site} as varchar(100))`.as('site_id'), 'w.lead_id', 'e.path', sql<string>`coalesce(e.stage, '')`.as('stage'), sql<number>`min(e.ts)`.as('first_at')])
          .groupBy(['w.lead_id', 'e.path', sql`coalesce(e.stage, '')`]),
      )
      .execute();
  }
}
