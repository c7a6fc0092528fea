import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { rollupVisitors, wholeDays } from '../rollups/rollupFigures.js';
import { firstHandovers, stageReached } from './handoverChanges.js';

export interface FunnelFigures {
  /** Distinct browsers active (any event) in the period. */
  visitors: number;
  /** Leads created in the period (merged duplicates left out). */
  leads: number;
  /** Leads handed to sales in the period: scoring took them from below MQL to MQL or SQL. */
  mqls: number;
  /** Leads that became SQL in the period (accepted by sales, or a hand-raiser). */
  sqls: number;
  /** Leads won in the period. */
  customers: number;
}

/**
 * A site's funnel for `[from, to)`: visitors, new leads, MQLs, SQLs and customers, each the
 * number of distinct people who reached that step within the period. GROUP-free counts over
 * indexed time ranges: visitors from the daily rollups (see `periodVisitors`), leads by (site, creation), stage changes by
 * (site, handover or stage, time), merged leads left out, each lead once a period by its
 * first handover there (`reports/handoverChanges.ts`).
 *
 * @example
 * const f = await funnelFigures(db, { site: 'demo', from: Date.now() - 30 * 86_400_000, to: Date.now() });
 * f.mqls / f.leads // lead → MQL conversion
 */
export async function funnelFigures(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<FunnelFigures> {
  const reached = (stage: 'sql' | 'customer') =>
    stageReached(db, site, stage)
      .select(sql<number | string>`count(distinct stage_changes.lead_id)`.as('n'))
      .where('stage_changes.at', '>=', from)
      .where('stage_changes.at', '<', to)
      .executeTakeFirstOrThrow();
  const [visitors, leads, mqls, sqls, customers] = await Promise.all([
    periodVisitors(db, { site, from, to }),
    db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('site_id', '=', site)
      .where('merged_into', 'is', null)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .executeTakeFirstOrThrow(),
    firstHandovers(db, site, { from, to })
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow(),
    reached('sql'),
    reached('customer'),
  ]);
  return { visitors, leads: Number(leads.n), mqls: Number(mqls.n), sqls: Number(sqls.n), customers: Number(customers.n) };
}

/**
 * Distinct browsers with any event in `[from, to)`: from the daily rollups for whole UTC days
 * (the dashboard's periods; call `catchUpRollups` first to include the last second's events),
 * otherwise counted from the period's events, with the same result.
 *
 * @example
 * await periodVisitors(db, { site: 'demo', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
 */
export async function periodVisitors(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<number> {
  const days = wholeDays(from, to);
  if (days) return (await rollupVisitors(db, { site, ...days })).total;
  // count(*) over a DISTINCT subquery: PostgreSQL hashes it, where count(distinct) sorts.
  const { n } = await db
    .selectFrom(db.selectFrom('events').select('visitor_id').distinct().where('site_id', '=', site).where('ts', '>=', from).where('ts', '<', to).as('v'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}
