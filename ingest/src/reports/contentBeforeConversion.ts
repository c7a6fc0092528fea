import { sql, type Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';

/** How many of the period's new leads and MQLs had viewed a page (or a stage's pages) before. */
export interface PrecededRow {
  leads: number;
  mqls: number;
}

export interface ContentBeforeConversion {
  /** Leads that became leads in the period (merged ones are counted as their survivor). */
  leads: number;
  /** Leads that qualified (MQL, or SQL by a hand-raiser) in the period by scoring. */
  mqls: number;
  /** The conversions the page and stage counts are based on: the latest `sample` of each kind in the period. */
  sampled: { leads: number; mqls: number };
  /** By page path, the pages that preceded the most leads first (at most `limit`). */
  pages: Array<PrecededRow & { path: string }>;
  /** By the funnel stage of the pages viewed before (null: untagged pages). */
  stages: Array<PrecededRow & { stage: FunnelStage | null }>;
}

/**
 * Which content creates pipeline: of the leads that became leads (and of those that became
 * MQLs) in `[from, to)`, how many had viewed each page, and pages of each funnel stage,
 * before that moment. Counted over the lead's browsers (from when each was linked to it);
 * aggregated in SQL, per lead an index range of its browsers' events (events by visitor and
 * time). To stay fast at any volume, pages and stages are counted over the latest `sample`
 * conversions of each kind in the period (`sampled` says how many); the totals are exact.
 *
 * @example
 * const { pages, stages } = await contentBeforeConversion(db, { site: 'demo', from, to });
 */
export async function contentBeforeConversion(
  db: Kysely<Database>,
  { site, from, to, limit = 200, sample = 1000 }: { site: string; from: number; to: number; limit?: number; sample?: number },
): Promise<ContentBeforeConversion> {
  const conversions = (kind: 'lead' | 'mql') => {
    let q = db
      .selectFrom('stage_changes as sc')
      .innerJoin('leads as l', 'l.id', 'sc.lead_id')
      .select(['sc.lead_id', 'sc.at', sql<string>`${sql.lit(kind)}`.as('kind')])
      .where('l.site_id', '=', site)
      .where('l.merged_into', 'is', null)
      .where('sc.at', '>=', from)
      .where('sc.at', '<', to);
    q =
      kind === 'lead'
        ? q.where('sc.from_stage', '=', 'visitor').where('sc.to_stage', '=', 'lead')
        : // Qualified by marketing (score or hand-raiser), not sales accepting a lead.
          q.where('sc.from_stage', 'in', ['lead', 'recycled']).where('sc.to_stage', 'in', ['mql', 'sql']).where('sc.source', '!=', 'api');
    return q;
  };
  const latest = (kind: 'lead' | 'mql') => db.selectFrom(conversions(kind).orderBy('sc.at', 'desc').limit(sample).as('c')).selectAll();
  const milestones = latest('lead').unionAll(latest('mql'));
  const all = conversions('lead').unionAll(conversions('mql'));
  // CROSS JOIN with the conditions in WHERE: SQLite keeps this join order (conversions, their
  // browsers, then each browser's events by index range), where it otherwise chose to scan the
  // site's events for every conversion; PostgreSQL reads it as the inner join and plans freely.
  const viewedBefore = db
    .selectFrom(milestones.as('m'))
    .crossJoin('lead_visitors as lv')
    .crossJoin('events as e')
    .whereRef('lv.lead_id', '=', 'm.lead_id')
    .whereRef('e.visitor_id', '=', 'lv.visitor_id')
    .whereRef('e.ts', '>=', 'lv.from_ts')
    .whereRef('e.ts', '<=', 'm.at')
    .where('lv.site_id', '=', site)
    .where('e.site_id', '=', site)
    .where('e.type', '=', 'pageview');
  const counts = [
    sql<number | string>`count(distinct case when m.kind = 'lead' then m.lead_id end)`.as('leads'),
    sql<number | string>`count(distinct case when m.kind = 'mql' then m.lead_id end)`.as('mqls'),
  ];
  const [totals, pages, stages] = await Promise.all([
    db
      .selectFrom(all.as('m'))
      .select(counts)
      .executeTakeFirstOrThrow(),
    viewedBefore
      .select(['e.path', ...counts])
      .groupBy('e.path')
      .orderBy('leads', 'desc')
      .orderBy('mqls', 'desc')
      .orderBy('e.path')
      .limit(limit)
      .execute(),
    viewedBefore.select(['e.stage', ...counts]).groupBy('e.stage').execute(),
  ]);
  return {
    leads: Number(totals.leads),
    mqls: Number(totals.mqls),
    sampled: { leads: Math.min(sample, Number(totals.leads)), mqls: Math.min(sample, Number(totals.mqls)) },
    pages: pages.map((p) => ({ path: p.path, leads: Number(p.leads), mqls: Number(p.mqls) })),
    stages: stages.map((s) => ({ stage: s.stage, leads: Number(s.leads), mqls: Number(s.mqls) })),
  };
}
