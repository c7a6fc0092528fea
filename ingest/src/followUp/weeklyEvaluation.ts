import type { Kysely } from 'kysely';
import type { Database, FeedbackType } from '../db/schema.js';
import { storedFirstTouches } from '../firstTouch/storedFirstTouches.js';
import { handoverChanges } from '../reports/handoverChanges.js';
import { handoversOf } from './handovers.js';

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
  const handovers = await handoversOf(db, key, { from, to });
  const firstHandover = new Map<string, number>();
  for (const h of handovers) if (!firstHandover.has(h.leadId)) firstHandover.set(h.leadId, h.at);
  const result: WeeklyEvaluation = { site: key, from: new Date(from).toISOString(), to: new Date(to).toISOString(), outcomes: empty(), byContent: [], byCampaign: [] };
  const content = new Map<string, WeeklyEvaluation['byContent'][number]>();
  const campaigns = new Map<string, WeeklyEvaluation['byCampaign'][number]>();
  // All of the period's leads at once, picked by a subquery rather than id lists in batches.
  const handedOver = () => handoverChanges(db, key).select('stage_changes.lead_id').where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to);
  const [feedbackRows, touches] = await Promise.all([
    db.selectFrom('feedback').select(['lead_id', 'type', 'reason', 'at']).where('lead_id', 'in', handedOver).orderBy('at').orderBy('id').execute(),
    storedFirstTouches(db, key, handedOver()),
  ]);
  const feedbackOf = new Map<string, typeof feedbackRows>();
  for (const f of feedbackRows) feedbackOf.set(f.lead_id, [...(feedbackOf.get(f.lead_id) ?? []), f]);
  for (const [leadId, at] of firstHandover) {
    const since = (feedbackOf.get(leadId) ?? []).filter((f) => Number(f.at) >= at);
    const decision = [...since].reverse().find((f) => DECISIONS[f.type]);
    const outcome: MqlOutcome = decision ? DECISIONS[decision.type]! : since.length ? 'contacted' : 'noAnswer';
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
