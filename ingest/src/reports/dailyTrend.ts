import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { rollupVisitors, wholeDays } from '../rollups/rollupFigures.js';
import { handoverChanges } from './handoverChanges.js';

export interface DailyTrend {
  /** Start of each UTC day in the period (ms), oldest first, every day present. */
  days: number[];
  visitors: number[];
  leads: number[];
  mqls: number[];
}

const DAY_MS = 86_400_000;

/**
 * Visitors, new leads and MQLs per UTC day of `[from, to)`, for the overview's trend chart:
 * three GROUP BY day queries over the same indexed ranges as `funnelFigures`; days without any
 * show zero.
 *
 * @example
 * const { days, visitors } = await dailyTrend(db, { site: 'demo', from, to });
 */
export async function dailyTrend(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<DailyTrend> {
  // Integer division of integer milliseconds: the day number, alike on both dialects.
  const dayOf = (column: string) => sql<number | string>`(${sql.ref(column)} / ${sql.lit(DAY_MS)})`;
  const [visitors, leads, mqls] = await Promise.all([
    visitorsByDay(db, { site, from, to }),
    db
      .selectFrom('leads')
      .select([dayOf('created_at').as('day'), (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('site_id', '=', site)
      .where('merged_into', 'is', null)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy(dayOf('created_at'))
      .execute(),
    // Each lead once a day: its first handover that day is the one whose previous handover came before the day.
    handoverChanges(db, site)
      .select([dayOf('stage_changes.at').as('day'), (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('stage_changes.at', '>=', from)
      .where('stage_changes.at', '<', to)
      .where((eb) => eb.or([eb('stage_changes.prev_handover_at', 'is', null), eb('stage_changes.prev_handover_at', '<', sql<number>`${dayOf('stage_changes.at')} * ${sql.lit(DAY_MS)}`)]))
      .groupBy(dayOf('stage_changes.at'))
      .execute(),
  ]);
  const first = Math.floor(from / DAY_MS);
  const last = Math.floor((to - 1) / DAY_MS);
  const days = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => (first + i) * DAY_MS);
  const fill = (rows: Array<{ day: number | string; n: number | string }>) => {
    const byDay = new Map(rows.map((r) => [Number(r.day), Number(r.n)]));
    return days.map((d) => byDay.get(d / DAY_MS) ?? 0);
  };
  return { days, visitors: days.map((d) => visitors.get(d / DAY_MS) ?? 0), leads: fill(leads), mqls: fill(mqls) };
}

/** Distinct browsers active each UTC day of `[from, to)`, by day number: from the daily rollups for whole days, otherwise from the events. */
async function visitorsByDay(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<Map<number, number>> {
  const days = wholeDays(from, to);
  if (days) return (await rollupVisitors(db, { site, ...days })).byDay;
  const dayOf = sql<number | string>`(ts / ${sql.lit(DAY_MS)})`;
  // Distinct (day, visitor) pairs first, then count(*): PostgreSQL hashes them, where count(distinct) sorts.
  const rows = await db
    .selectFrom(db.selectFrom('events').select([dayOf.as('day'), 'visitor_id']).distinct().where('site_id', '=', site).where('ts', '>=', from).where('ts', '<', to).as('v'))
    .select(['v.day', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy('v.day')
    .execute();
  return new Map(rows.map((r) => [Number(r.day), Number(r.n)]));
}
