import type { Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';
import { rollupPageTraffic, wholeDays } from '../rollups/rollupFigures.js';

const STAGE_ORDER: Array<FunnelStage | null> = ['top', 'middle', 'bottom', null];

/** One page's views in a period, with the stage and category its events were stored with. */
export interface PageTrafficRow {
  path: string;
  /** Null when no view of the page was tagged with a stage (by markup or a URL rule). */
  stage: FunnelStage | null;
  category: string | null;
  views: number;
  visitors: number;
}

/** Views and distinct visitors of each funnel stage and category pair in a period. */
export interface ContentGroupRow {
  stage: FunnelStage | null;
  category: string | null;
  pages: number;
  views: number;
  visitors: number;
}

export interface PageTraffic {
  /** The most viewed pages first, at most `limit`. */
  pages: PageTrafficRow[];
  /** Every stage and category pair seen in the period (a handful). */
  groups: ContentGroupRow[];
  /** True when there were more pages than `limit`. */
  more: boolean;
}

/** Most viewed first; ties by path, compared the same on both dialects. */
const byViews = (a: PageTrafficRow, b: PageTrafficRow) => b.views - a.views || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Page views of one site in `[from, to)`: by page (the most viewed `limit`) and by funnel
 * stage and category, each with its distinct visitors. A period of whole UTC days (the
 * dashboard's) is read from the daily rollups, rows by day and page however many events (call
 * `catchUpRollups` first to include the last second's events); any other period is counted
 * from its page views (index: events by site, type and time), with the same result.
 *
 * @example
 * const { pages, groups } = await pageTraffic(db, { site: 'demo', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
 */
export async function pageTraffic(db: Kysely<Database>, { site, from, to, limit = 500 }: { site: string; from: number; to: number; limit?: number }): Promise<PageTraffic> {
  const days = wholeDays(from, to);
  const { pages, groups } = days ? await rollupPageTraffic(db, { site, ...days }, limit) : await scannedPageTraffic(db, { site, from, to, limit });
  pages.sort(byViews);
  return {
    pages: pages.slice(0, limit),
    // Sorted here: the dialects order nulls differently.
    groups: groups.sort((a, b) => b.views - a.views || STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) || (a.category ?? '\uffff').localeCompare(b.category ?? '\uffff')),
    more: pages.length > limit,
  };
}

/** The same figures counted from the period's page views. */
async function scannedPageTraffic(db: Kysely<Database>, { site, from, to, limit }: { site: string; from: number; to: number; limit: number }): Promise<{ pages: PageTrafficRow[]; groups: ContentGroupRow[] }> {
  const views = () => db.selectFrom('events').where('site_id', '=', site).where('type', '=', 'pageview').where('ts', '>=', from).where('ts', '<', to);
  const [pages, groups] = await Promise.all([
    views()
      .select((eb) => [
        'path',
        // A page tagged on some views and not on others (its markup changed) counts as tagged.
        eb.fn.max('stage').as('stage'),
        eb.fn.max('category').as('category'),
        eb.fn.countAll<number | string>().as('views'),
        eb.fn.count<number | string>('visitor_id').distinct().as('visitors'),
      ])
      .groupBy('path')
      .orderBy('views', 'desc')
      .orderBy('path')
      .limit(limit + 1)
      .execute(),
    views()
      .select((eb) => [
        'stage',
        'category',
        eb.fn.count<number | string>('path').distinct().as('pages'),
        eb.fn.countAll<number | string>().as('views'),
        eb.fn.count<number | string>('visitor_id').distinct().as('visitors'),
      ])
      .groupBy(['stage', 'category'])
      .execute(),
  ]);
  return {
    pages: pages.map((p) => ({ path: p.path, stage: (p.stage ?? null) as FunnelStage | null, category: p.category ?? null, views: Number(p.views), visitors: Number(p.visitors) })),
    groups: groups.map((g) => ({ stage: g.stage, category: g.category, pages: Number(g.pages), views: Number(g.views), visitors: Number(g.visitors) })),
  };
}
