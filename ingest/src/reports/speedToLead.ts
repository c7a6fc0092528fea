import { sql, type Kysely } from 'kysely';
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

/** The handovers of `[from, to)` to measure: one site's, or every site's without `site`. */
export interface SpeedToLeadRange {
  site?: string;
  from: number;
  to: number;
}

/** The 1-based rank of the value below which a share `q` of `n` sorted values lie (nearest rank). */
const rankOf = (n: number, q: number) => Math.min(n - 1, Math.ceil(n * q) - 1) + 1;

/**
 * Speed to lead for the MQLs handed to sales in `[from, to)` (one site's, or all sites' without
 * `site`): how many sales answered, and the median and 90th percentile (nearest rank) of the
 * time to the first answer (the lead's first feedback at or after the handover, kept on the
 * handover: the same answer the follow-up agreement counts). Two reads of one index range of the
 * period's handovers (migration 018; all sites: of the period's stage changes), merged leads left
 * out: the counts, then only the two ranked response times (shipping every time to sort here cost
 * more than the database's sort). With
 * `withinMs`, the same count also says how many were answered within that time of the handover
 * (`answeredWithin`, as the follow-up agreement counts it: at most `withinMs` after).
 *
 * @example
 * const { medianMs, p90Ms } = await speedToLead(db, { site: 'demo', from, to });
 * const { answeredWithin } = await speedToLead(db, { from, to }, { withinMs: 3_600_000 });
 */
export function speedToLead(db: Kysely<Database>, range: SpeedToLeadRange): Promise<SpeedToLead>;
export function speedToLead(db: Kysely<Database>, range: SpeedToLeadRange, options: { withinMs: number }): Promise<SpeedToLead & { answeredWithin: number }>;
export async function speedToLead(db: Kysely<Database>, range: SpeedToLeadRange, options?: { withinMs: number }): Promise<SpeedToLead & { answeredWithin?: number }> {
  // The two reads see the database at two moments: an erasure or a merge between them can take
  // a ranked answer away. Read again then (it cannot keep happening).
  for (let attempt = 1; ; attempt++) {
    const figures = await readSpeedToLead(db, range, options?.withinMs);
    if (figures || attempt === 3) return figures ?? { handovers: 0, answered: 0, medianMs: null, p90Ms: null, ...(options ? { answeredWithin: 0 } : {}) };
  }
}

async function readSpeedToLead(db: Kysely<Database>, { site, from, to }: SpeedToLeadRange, withinMs: number | undefined): Promise<(SpeedToLead & { answeredWithin?: number }) | undefined> {
  const period = handoverChanges(db, site).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to);
  const counts = await period
    .select((eb) => [eb.fn.countAll<number | string>().as('handovers'), eb.fn.count<number | string>('stage_changes.first_answer_at').as('answered')])
    .$if(withinMs !== undefined, (q) => q.select(sql<number | string>`coalesce(sum(case when stage_changes.first_answer_at <= stage_changes.at + ${withinMs} then 1 else 0 end), 0)`.as('within')))
    .executeTakeFirstOrThrow();
  const answered = Number(counts.answered);
  const result = {
    handovers: Number(counts.handovers),
    answered,
    medianMs: null as number | null,
    p90Ms: null as number | null,
    ...(withinMs === undefined ? {} : { answeredWithin: Number(counts.within) }),
  };
  if (!answered) return result;
  const [median, p90] = [rankOf(answered, 0.5), rankOf(answered, 0.9)];
  const ranked = await db
    .selectFrom(
      period
        .select((eb) => [
          eb('stage_changes.first_answer_at', '-', eb.ref('stage_changes.at')).as('ms'),
          sql<number | string>`row_number() over (order by stage_changes.first_answer_at - stage_changes.at)`.as('rank'),
        ])
        .where('stage_changes.first_answer_at', 'is not', null)
        .as('a'),
    )
    .select(['a.ms', 'a.rank'])
    .where('a.rank', 'in', [median, p90])
    .execute();
  const at = (rank: number) => ranked.find((r) => Number(r.rank) === rank)?.ms;
  const [medianMs, p90Ms] = [at(median), at(p90)];
  if (medianMs === undefined || p90Ms === undefined) return undefined;
  return { ...result, medianMs: Number(medianMs), p90Ms: Number(p90Ms) };
}
