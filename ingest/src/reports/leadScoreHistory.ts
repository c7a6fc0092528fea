import type { Kysely } from 'kysely';
import type { LeadTraits } from '../../../shared/src/types.js';
import { fromJson, type Json } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { leadSubject } from '../leads/leadStore.js';
import type { ScoreState, Scorer } from '../scoring/engine.js';

export interface ScoreHistory {
  /** Sample times (ms), oldest first; the last is `now`. */
  at: number[];
  engagement: number[];
  fit: number[];
  total: number[];
}

const DAY_MS = 86_400_000;
/** Enough points for a year a day; a longer history is sampled more sparsely. */
const MAX_POINTS = 366;
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A lead's score over time, for its chart: engagement from its rule hits (`score_hits`), each
 * decaying by the rule set's half-life and capped as the scorer caps it; fit from the lead's
 * accepted trait changes through the scorer's fit rules (a trait the lead holds with no change
 * recorded, as one set when it was made, counts from the start); sampled at the last moment of
 * each day (so a day's point carries that day's date) from
 * its first hit or trait to `now` (at most a year's worth of points), and at `now`, where it
 * is the score the API shows (`scorer.scoresAt` of the lead's state). Two reads by lead, however long the history.
 *
 * @example
 * const { at, total } = await leadScoreHistory(db, scorer, lead, profile.mergedIds, Date.now());
 */
export async function leadScoreHistory(
  db: Kysely<Database>,
  scorer: Scorer,
  lead: { id: string; email: string; score_state: Json<ScoreState>; traits?: Json<LeadTraits>; created_at?: number },
  mergedIds: string[],
  now: number,
): Promise<ScoreHistory> {
  const [hits, changes] = await Promise.all([
    db.selectFrom('score_hits').select(['points', 'ts']).where('subject', '=', leadSubject(lead.id)).orderBy('ts').limit(100_000).execute(),
    db.selectFrom('trait_changes').select(['trait', 'value', 'at']).where('lead_id', 'in', [lead.id, ...mergedIds]).where('accepted', '=', 1).orderBy('at').limit(5_000).execute(),
  ]);
  const firstAt = Math.min(hits[0] ? Number(hits[0].ts) : now, changes[0] ? Number(changes[0].at) : now, lead.created_at === undefined ? now : Number(lead.created_at));
  const halfLifeMs = scorer.rules.halfLifeDays * DAY_MS;
  const { caps } = scorer.rules;
  const step = Math.max(1, Math.ceil((now - firstAt) / DAY_MS / MAX_POINTS)) * DAY_MS;
  const samples: number[] = [];
  for (let t = Math.floor(firstAt / DAY_MS) * DAY_MS + DAY_MS - 1; t < now; t += step) samples.push(t);
  samples.push(now);

  const out: ScoreHistory = { at: [], engagement: [], fit: [], total: [] };
  const changed = new Set(changes.map((c) => c.trait));
  const held = lead.traits ? Object.entries(fromJson(lead.traits)).filter(([trait]) => !changed.has(trait)) : [];
  const traits: LeadTraits = { ...Object.fromEntries(held), email: lead.email };
  let engagement = 0;
  let engagementAt = firstAt;
  let [h, c] = [0, 0];
  for (const t of samples) {
    // Add the hits up to t, each decayed from its own time: the sum the scorer keeps.
    for (; h < hits.length && Number(hits[h]!.ts) <= t; h++) {
      const ts = Number(hits[h]!.ts);
      engagement = engagement * 2 ** (-(ts - engagementAt) / halfLifeMs) + hits[h]!.points;
      engagementAt = ts;
    }
    for (; c < changes.length && Number(changes[c]!.at) <= t; c++) {
      const change = changes[c]!;
      (traits as Record<string, string | undefined>)[change.trait] = change.value ?? undefined;
    }
    const e = round2(Math.min(engagement * 2 ** (-(Math.max(t, engagementAt) - engagementAt) / halfLifeMs), caps.engagement ?? Infinity));
    const fit = round2(Math.min(scorer.fitHits(traits).reduce((a, x) => a + x.points, 0), caps.fit ?? Infinity));
    out.at.push(t);
    out.engagement.push(e);
    out.fit.push(fit);
    out.total.push(round2(e + fit));
  }
  // The last point is the lead's score now, exactly as the API computes it from its state.
  const current = scorer.scoresAt(fromJson(lead.score_state), now);
  out.engagement[out.engagement.length - 1] = current.engagement;
  out.fit[out.fit.length - 1] = current.fit;
  out.total[out.total.length - 1] = current.total;
  return out;
}
