import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { handoverChanges } from './handoverChanges.js';

export interface SpeedToLead {
  /** Handovers to sales in the period. */
  handovers: number;
  /** Of them, answered by sales (first feedback after the handover). */
  answered: number;
  /** Time from handover to the first feedback (ms); null without answers. */
  medianMs: number | null;
  p90Ms: number | null;
}

/** The value below which a share `q` of the sorted values lie (nearest rank). */
const quantile = (sorted: ArrayLike<number>, q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)]! : null);

/**
 * Speed to lead for the MQLs handed to sales in `[from, to)`: how many sales answered, and the
 * median and 90th percentile of the time to the first answer (the lead's first feedback at or
 * after the handover, kept on the handover: the same answer the follow-up agreement counts).
 * One index range of the period's handovers (migration 018); merged leads left out.
 *
 * @example
 * const { medianMs, p90Ms } = await speedToLead(db, { site: 'demo', from, to });
 */
export async function speedToLead(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<SpeedToLead> {
  // One pass over the period's handovers: nulls are the unanswered ones; sorted here, not by a SQL sort.
  const rows = await handoverChanges(db, site)
    .select((eb) => eb('stage_changes.first_answer_at', '-', eb.ref('stage_changes.at')).as('ms'))
    .where('stage_changes.at', '>=', from)
    .where('stage_changes.at', '<', to)
    .execute();
  const times = Float64Array.from(rows.flatMap((r) => (r.ms === null ? [] : [Number(r.ms)]))).sort();
  return { handovers: rows.length, answered: times.length, medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9) };
}
