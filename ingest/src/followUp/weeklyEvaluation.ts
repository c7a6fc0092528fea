import type { Kysely } from 'kysely';
import type { Database, FeedbackType } from '../db/schema.js';
import { computeFirstTouches, type FirstTouch } from '../firstTouch/computeFirstTouches.js';
import { touchOfRow } from '../firstTouch/storedFirstTouches.js';
import { firstHandovers } from '../reports/handoverChanges.js';

/** Where an MQL stands with sales. */
export type MqlOutcome = 'accepted' | 'rejected' | 'won' | 'lost' | 'contacted' | 'noAnswer';

/** MQL counts by outcome. */
export interface OutcomeCounts {
  mqls: number;
  accepted: number;
  /** Rejected, in all and by the reason sales gave. */
  rejected: number;
  rejectedFor: Record<string, number>;
  won: number;
  lost: number;
  /** Contacted, no decision yet. */
  contacted: number;
  noAnswer: number;
}

export interface WeeklyEvaluation {
  site: string;
  from: string;
  to: string;
  outcomes: OutcomeCounts;
  /** By the page that first touched the lead (its first page view): funnel stage, category and path. */
  byContent: Array<{ stage: string | null; category: string | null; path: string | null } & OutcomeCounts>;
  /** By the campaign of the lead's first visit (null fields: direct). */
  byCampaign: Array<{ source: string | null; medium: string | null; campaign: string | null } & OutcomeCounts>;
}

const DECISIONS: Partial<Record<FeedbackType, MqlOutcome>> = { accepted: 'accepted', opportunity: 'accepted', rejected: 'rejected', won: 'won', lost: 'lost' };
const empty = (): OutcomeCounts => ({ mqls: 0, accepted: 0, rejected: 0, rejectedFor: {}, won: 0, lost: 0, contacted: 0, noAnswer: 0 });
function count(into: OutcomeCounts, outcome: MqlOutcome, reason: string | null) {
  into.mqls++;
  into[outcome]++;
  if (outcome === 'rejected') into.rejectedFor[reason ?? 'other'] = (into.rejectedFor[reason ?? 'other'] ?? 0) + 1;
}

/**
 * The weekly evaluation marketing and sales read together: the MQLs handed over in [from, to)
 * (each lead once) by outcome — sales' latest decision since the handover (accepted, or an
 * opportunity; rejected, by reason; won; lost), contacted without a decision, or no answer
 * yet — and the same split by the content that first touched each lead and by the campaign of
 * its first visit, so both see which content and campaigns bring leads sales wants.
 *
 * @example
 * const week = await weeklyEvaluation(db, 'demo', { from: monday, to: monday + 7 * 86_400_000 });
 * week.outcomes.rejectedFor // { bad_fit: 3, not_ready: 1 }
 */
export async function weeklyEvaluation(db: Kysely<Database>, site: string | { key: string }, { from, to }: { from: number; to: number }): Promise<WeeklyEvaluation> {
  const key = typeof site === 'string' ? site : site.key;
  // In one statement: the period's handovers, each lead once at its first, from one index range
  // by site and time (migration 018); the first touch kept on each lead (by primary key); and
  // the feedback since the handover (by lead and time; none before the period can follow a
  // handover in it, which spares PostgreSQL hashing all feedback), oldest first (groups with
  // equal counts keep that order). A row a feedback, or one for a lead without any.
  const rows = await firstHandovers(db, key, { from, to })
    .innerJoin('leads', 'leads.id', 'stage_changes.lead_id')
    .leftJoin('feedback', (join) => join.onRef('feedback.lead_id', '=', 'stage_changes.lead_id').onRef('feedback.at', '>=', 'stage_changes.at').on('feedback.at', '>=', from))
    .select(['stage_changes.lead_id', 'stage_changes.at', 'leads.touch_seq', 'leads.touch_done', 'leads.touch_path', 'leads.touch_stage', 'leads.touch_category', 'leads.touch_source', 'leads.touch_medium', 'leads.touch_campaign', 'leads.touch_referred'])
    .select(['feedback.type', 'feedback.reason'])
    .orderBy('stage_changes.at')
    .orderBy('stage_changes.id')
    .orderBy('feedback.at')
    .orderBy('feedback.id')
    .execute();
  // Per lead, in handover order: its latest decision since the handover (rows come in feedback
  // order) and whether sales answered at all.
  const answers = new Map<string, { answered: boolean; decision: { type: FeedbackType; reason: string | null } | null }>();
  const touches = new Map<string, FirstTouch>();
  const pending: string[] = [];
  for (const r of rows) {
    let answer = answers.get(r.lead_id);
    if (!answer) {
      answers.set(r.lead_id, (answer = { answered: false, decision: null }));
      // Stored first touches where the first-touch job has them current; found in the events for the few it has not reached yet.
      if (Number(r.touch_seq) > Number(r.touch_done)) pending.push(r.lead_id);
      else touches.set(r.lead_id, touchOfRow(r));
    }
    if (!r.type) continue;
    answer.answered = true;
    if (DECISIONS[r.type]) answer.decision = { type: r.type, reason: r.reason };
  }
  if (pending.length) for (const [id, touch] of await computeFirstTouches(db, key, pending)) touches.set(id, touch);
  const result: WeeklyEvaluation = { site: key, from: new Date(from).toISOString(), to: new Date(to).toISOString(), outcomes: empty(), byContent: [], byCampaign: [] };
  const content = new Map<string, WeeklyEvaluation['byContent'][number]>();
  const campaigns = new Map<string, WeeklyEvaluation['byCampaign'][number]>();
  for (const [leadId, { answered, decision }] of answers) {
    const outcome: MqlOutcome = decision ? DECISIONS[decision.type]! : answered ? 'contacted' : 'noAnswer';
    const reason = decision?.type === 'rejected' ? decision.reason : null;
    count(result.outcomes, outcome, reason);
    const first = touches.get(leadId);
    const touch = { stage: first?.stage ?? null, category: first?.category ?? null, path: first?.path ?? null };
    const touchKey = JSON.stringify(touch);
    if (!content.has(touchKey)) content.set(touchKey, { ...touch, ...empty() });
    count(content.get(touchKey)!, outcome, reason);
    const source = { source: first?.source ?? null, medium: first?.medium ?? null, campaign: first?.campaign ?? null };
    const sourceKey = JSON.stringify(source);
    if (!campaigns.has(sourceKey)) campaigns.set(sourceKey, { ...source, ...empty() });
    count(campaigns.get(sourceKey)!, outcome, reason);
  }
  result.byContent = [...content.values()].sort((a, b) => b.mqls - a.mqls);
  result.byCampaign = [...campaigns.values()].sort((a, b) => b.mqls - a.mqls);
  return result;
}
