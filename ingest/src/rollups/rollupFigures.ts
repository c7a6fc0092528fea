import { sql, type Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import { GROUP_SEPARATOR } from '../db/migrations/017_daily_rollups.js';
import type { Database, RollupKind } from '../db/schema.js';

const DAY_MS = 86_400_000;

/** Whole UTC days `[fromDay, toDay)` (days since the epoch) when `[from, to)` is made of them; otherwise undefined. */
export function wholeDays(from: number, to: number): { fromDay: number; toDay: number } | undefined {
  return from % DAY_MS === 0 && to % DAY_MS === 0 && to > from ? { fromDay: from / DAY_MS, toDay: to / DAY_MS } : undefined;
}

export interface DayRange {
  site: string;
  fromDay: number;
  toDay: number;
}

/**
 * Distinct members of each dimension of a kind over whole days: each member counted on its
 * first active day in the range, the one whose previous active day lies before the range.
 *
 * @example
 * const pages = await distinctMembers(db, 'p', { site: 'demo', fromDay, toDay }); // Map path → visitors
 */
export async function distinctMembers(db: Kysely<Database>, kind: RollupKind, { site, fromDay, toDay }: DayRange): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('rollup_counts')
    .select(['dim', sql<number | string>`sum(members)`.as('n')])
    .where('site_id', '=', site)
    .where('kind', '=', kind)
    .where('day', '>=', fromDay)
    .where('day', '<', toDay)
    .where('prev_day', '<', fromDay)
    .groupBy('dim')
    .execute();
  return new Map(rows.map((r) => [r.dim, Number(r.n)]));
}

/**
 * Distinct browsers active on the site over whole days, in all and day by day, from the daily
 * rollups (a sum over one row a day and earlier active day, however many events).
 *
 * @example
 * const { total, byDay } = await rollupVisitors(db, { site: 'demo', fromDay: 20_000, toDay: 20_030 });
 */
export async function rollupVisitors(db: Kysely<Database>, range: DayRange): Promise<{ total: number; byDay: Map<number, number> }> {
  const [total, days] = await Promise.all([
    distinctMembers(db, 'v', range),
    db
      .selectFrom('rollup_counts')
      .select(['day', sql<number | string>`sum(members)`.as('n')])
      .where('site_id', '=', range.site)
      .where('kind', '=', 'v')
      .where('day', '>=', range.fromDay)
      .where('day', '<', range.toDay)
      .groupBy('day')
      .execute(),
  ]);
  return { total: total.get('') ?? 0, byDay: new Map(days.map((d) => [Number(d.day), Number(d.n)])) };
}

/**
 * Page views and distinct visitors over whole days by page and by funnel stage and category,
 * from the daily rollups: the shape `pageTraffic` returns.
 *
 * @example
 * const { pages, groups } = await rollupPageTraffic(db, { site: 'demo', fromDay, toDay }, 500);
 */
export async function rollupPageTraffic(db: Kysely<Database>, range: DayRange, limit: number) {
  const views = () => db.selectFrom('rollup_page_views').where('site_id', '=', range.site).where('day', '>=', range.fromDay).where('day', '<', range.toDay);
  const [pages, groups, pageVisitors, groupVisitors] = await Promise.all([
    views()
      .select(['path', sql<string>`max(stage)`.as('stage'), sql<string>`max(category)`.as('category'), sql<number | string>`sum(views)`.as('views')])
      .groupBy('path')
      // The most viewed `limit` and one more (to say there are more): a site with countless paths ships no more.
      .orderBy(sql`sum(views)`, 'desc')
      .orderBy('path')
      .limit(limit + 1)
      .execute(),
    views()
      .select(['stage', 'category', sql<number | string>`count(distinct path)`.as('pages'), sql<number | string>`sum(views)`.as('views')])
      .groupBy(['stage', 'category'])
      .execute(),
    distinctMembers(db, 'p', range),
    distinctMembers(db, 'g', range),
  ]);
  const orNull = (s: string) => (s === '' ? null : s);
  return {
    pages: pages.map((p) => ({ path: p.path, stage: orNull(p.stage) as FunnelStage | null, category: orNull(p.category), views: Number(p.views), visitors: pageVisitors.get(p.path) ?? 0 })),
    groups: groups.map((g) => ({ stage: orNull(g.stage) as FunnelStage | null, category: orNull(g.category), pages: Number(g.pages), views: Number(g.views), visitors: groupVisitors.get(`${g.stage}${GROUP_SEPARATOR}${g.category}`) ?? 0 })),
    limit,
  };
}
