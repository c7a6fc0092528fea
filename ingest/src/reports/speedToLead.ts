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
const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)]! : null);

/**
 * Speed to lead for the MQLs handed to sales in `[from, to)`: how many sales answered, and the
 * median and 90th percentile of the time to the first answer (`feedback.response_ms`, stored
 * with the first feedback after a handover). Reads the period's answers only.
 *
 * @example
 * const { medianMs, p90Ms } = await speedToLead(db, { site: 'demo', from, to });
 */
export async function speedToLead(db: Kysely<Database>, { site, from, to }: { site: string; from: number; to: number }): Promise<SpeedToLead> {
  const [answers, handovers] = await Promise.all([
    db
      .selectFrom('feedback')
      .select('feedback.response_ms')
      .where(({ exists, selectFrom }) => exists(selectFrom('leads').select('leads.id').whereRef('leads.id', '=', 'feedback.lead_id').where('leads.site_id', '=', site)))
      .where('feedback.response_ms', 'is not', null)
      .where('feedback.handover_at', '>=', from)
      .where('feedback.handover_at', '<', to)
      .orderBy('feedback.response_ms')
      .execute(),
    handoverChanges(db, site).select((eb) => eb.fn.countAll<number | string>().as('n')).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to).executeTakeFirstOrThrow(),
  ]);
  const times = answers.map((a) => Number(a.response_ms));
  return { handovers: Number(handovers.n), answered: times.length, medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9) };
}
