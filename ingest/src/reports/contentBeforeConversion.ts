import { sql, type Kysely } from 'kysely';
import type { FunnelStage } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';
import { handoverChanges } from './handoverChanges.js';

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
 * before that moment. Counted over the lead's browsers (each from when it was linked to it, an
 * earlier link of a shared browser within its range). A lead's pages are kept with the first
 * time it viewed each (`lead_pages`, see `leadPages/`), so "viewed before" is a short read of
 * its rows; the few leads whose pages the first-touch job has not rebuilt yet are read from
 * their events, in the same statement, so the counts are exact either way. Pages and stages
 * are counted over the latest `sample` conversions of each kind in the period (`sampled` says
 * how many); the totals are exact.
 *
 * @example
 * const { pages, stages } = await contentBeforeConversion(db, { site: 'demo', from, to });
 */
export async function contentBeforeConversion(
  db: Kysely<Database>,
  { site, from, to, limit = 200, sample = 1000 }: { site: string; from: number; to: number; limit?: number; sample?: number },
): Promise<ContentBeforeConversion> {
  // Leads of this site merged into another are left out (their survivor counts): merged leads
  // are few and read once, `> ''` rather than `is not null` so SQLite's planner, without
  // statistics, does not walk the site's leads for them.
  const merged = db.selectFrom('leads').select('leads.id').where('leads.merged_into', '>', '');
  const conversions = (kind: 'lead' | 'mql') =>
    kind === 'lead'
      ? db
          .selectFrom('stage_changes')
          .where('stage_changes.site_id', '=', site)
          // Literal, as the partial index of lead creations (migration 019) is defined, so both
          // planners read it alone.
          .where(sql<boolean>`stage_changes.from_stage = 'visitor' and stage_changes.to_stage = 'lead'`)
          .where('stage_changes.lead_id', 'not in', merged)
          .where('stage_changes.at', '>=', from)
          .where('stage_changes.at', '<', to)
      : // Qualified by marketing (score, hand-raiser, rescore), not sales accepting a lead: the
        // handovers to sales the overview counts as MQLs.
        handoverChanges(db, site).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to);
  // Both counted without count(distinct): a lead becomes a lead once (its creation), and a
  // lead's first handover in the period is the one whose previous handover is before it.
  const firstInPeriod = conversions('mql').where((eb) => eb.or([eb('stage_changes.prev_handover_at', 'is', null), eb('stage_changes.prev_handover_at', '<', from)]));
  // One statement for both, so PostgreSQL needs one connection for it.
  const totals = db.selectNoFrom([
    conversions('lead')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .$asScalar()
      .as('leads'),
    firstInPeriod
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .$asScalar()
      .as('mqls'),
  ]);
  const pendingLeads = db.selectFrom('leads').select('leads.id').where(sql<boolean>`touch_seq > touch_done`);
  const latest = (kind: 'lead' | 'mql') =>
    db
      .selectFrom(
        conversions(kind)
          .select(['stage_changes.lead_id', 'stage_changes.at', sql<string>`${sql.lit(kind)}`.as('kind')])
          .orderBy('stage_changes.at', 'desc')
          .limit(sample)
          .as('c'),
      )
      .selectAll();
  // Each sampled conversion's pages viewed before it: kept rows for current leads; for pending
  // ones each link's page views (CROSS JOIN with the conditions in WHERE keeps SQLite's join
  // order: conversions, their links, then each browser's events by index range).
  const viewedBefore = db
    .with('m', (qc) =>
      qc
        .selectFrom(latest('lead').unionAll(latest('mql')).as('c'))
        // Pages not rebuilt since the lead's events or links last changed: read from the events.
        // Pending leads are few, read once from their partial index (the literal predicate is
        // how both planners find it) rather than each conversion's lead row.
        .select(['c.lead_id', 'c.at', 'c.kind', (eb) => eb.case().when('c.lead_id', 'in', pendingLeads).then(1).else(0).end().as('pending')]),
    )
    .with('v', (qc) =>
      qc
        .selectFrom('m')
        .crossJoin('lead_pages as lp')
        .where('m.pending', '=', 0)
        .where('lp.site_id', '=', site)
        .whereRef('lp.lead_id', '=', 'm.lead_id')
        .whereRef('lp.first_at', '<=', 'm.at')
        .select(['m.kind', 'm.lead_id', 'lp.path', 'lp.stage'])
        .unionAll(
          qc
            .selectFrom('m')
            .crossJoin('lead_visitors as lv')
            .crossJoin('events as e')
            .where('m.pending', '=', 1)
            .whereRef('lv.lead_id', '=', 'm.lead_id')
            .where('lv.site_id', '=', site)
            .where('e.site_id', '=', site)
            .whereRef('e.visitor_id', '=', 'lv.visitor_id')
            .whereRef('e.ts', '>=', 'lv.from_ts')
            .whereRef('e.ts', '<=', 'm.at')
            .where('e.type', '=', 'pageview')
            .select(['m.kind', 'm.lead_id', 'e.path', sql<FunnelStage | ''>`coalesce(e.stage, '')`.as('stage')]),
        )
        .unionAll(
          qc
            .selectFrom('m')
            .crossJoin('past_links as pl')
            .crossJoin('events as e')
            .where('m.pending', '=', 1)
            .whereRef('pl.lead_id', '=', 'm.lead_id')
            .where('pl.site_id', '=', site)
            .where('e.site_id', '=', site)
            .whereRef('e.visitor_id', '=', 'pl.visitor_id')
            .whereRef('e.ts', '>=', 'pl.from_ts')
            .whereRef('e.ts', '<', 'pl.until_ts')
            .whereRef('e.ts', '<=', 'm.at')
            .where('e.type', '=', 'pageview')
            .select(['m.kind', 'm.lead_id', 'e.path', sql<FunnelStage | ''>`coalesce(e.stage, '')`.as('stage')]),
        ),
    );
  const counts = [
    sql<number | string>`count(distinct case when v.kind = 'lead' then v.lead_id end)`.as('leads'),
    sql<number | string>`count(distinct case when v.kind = 'mql' then v.lead_id end)`.as('mqls'),
  ];
  // Pages and stages in one statement over the conversions' pages, found once.
  const preceded = viewedBefore
    .selectFrom((eb) =>
      eb
        .selectFrom('v')
        .select(['v.path as key', ...counts])
        .groupBy('v.path')
        .orderBy('leads', 'desc')
        .orderBy('mqls', 'desc')
        .orderBy('v.path')
        .limit(limit)
        .as('p'),
    )
    .select([sql<'page' | 'stage'>`'page'`.as('grp'), 'p.key', 'p.leads', 'p.mqls'])
    .unionAll((eb) => eb.selectFrom('v').select([sql<'page' | 'stage'>`'stage'`.as('grp'), 'v.stage as key', ...counts]).groupBy('v.stage'))
    .orderBy('grp')
    .orderBy('leads', 'desc')
    .orderBy('mqls', 'desc')
    .orderBy('key');
  const [counted, rows] = await Promise.all([totals.executeTakeFirstOrThrow(), preceded.execute()]);
  const [leads, mqls] = [Number(counted.leads), Number(counted.mqls)];
  const pages = rows.filter((r) => r.grp === 'page');
  const stages = rows.filter((r) => r.grp === 'stage');
  return {
    leads,
    mqls,
    sampled: { leads: Math.min(sample, leads), mqls: Math.min(sample, mqls) },
    pages: pages.map((p) => ({ path: p.key, leads: Number(p.leads), mqls: Number(p.mqls) })),
    stages: stages.map((s) => ({ stage: (s.key || null) as FunnelStage | null, leads: Number(s.leads), mqls: Number(s.mqls) })),
  };
}
