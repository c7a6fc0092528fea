import type { Kysely } from 'kysely';
import { fromJsonOrNull } from '../db/json.js';
import type { Database, FeedbackType } from '../db/schema.js';
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
  const handovers = await handoversOf(db, key).select(['stage_changes.lead_id', 'stage_changes.at']).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to).orderBy('stage_changes.at').execute();
  const firstHandover = new Map<string, number>();
  for (const h of handovers) if (!firstHandover.has(h.lead_id)) firstHandover.set(h.lead_id, Number(h.at));
  const result: WeeklyEvaluation = { site: key, from: new Date(from).toISOString(), to: new Date(to).toISOString(), outcomes: empty(), byContent: [], byCampaign: [] };
  const content = new Map<string, WeeklyEvaluation['byContent'][number]>();
  const campaigns = new Map<string, WeeklyEvaluation['byCampaign'][number]>();
  const ids = [...firstHandover.keys()];
  for (let i = 0; i < ids.length; i += 200) {
    const page = ids.slice(i, i + 200);
    const feedback = await db.selectFrom('feedback').select(['lead_id', 'type', 'reason', 'at']).where('lead_id', 'in', page).orderBy('at').orderBy('id').execute();
    const links = await db.selectFrom('lead_visitors').select(['lead_id', 'visitor_id', 'from_ts']).where('lead_id', 'in', page).execute();
    const past = await db.selectFrom('past_links').select(['lead_id', 'visitor_id', 'from_ts', 'until_ts']).where('lead_id', 'in', page).execute();
    for (const leadId of page) {
      const at = firstHandover.get(leadId)!;
      const since = feedback.filter((f) => f.lead_id === leadId && Number(f.at) >= at);
      const decision = [...since].reverse().find((f) => DECISIONS[f.type]);
      const outcome: MqlOutcome = decision ? DECISIONS[decision.type]! : since.length ? 'contacted' : 'noAnswer';
      const reason = decision?.type === 'rejected' ? decision.reason : null;
      count(result.outcomes, outcome, reason);
      // The lead's own events: each browser's from its link on, and earlier links' within their range.
      const ranges = [...links.filter((l) => l.lead_id === leadId).map((l) => ({ visitor: l.visitor_id, from: Number(l.from_ts), until: Number.MAX_SAFE_INTEGER })), ...past.filter((l) => l.lead_id === leadId).map((l) => ({ visitor: l.visitor_id, from: Number(l.from_ts), until: Number(l.until_ts) }))];
      const first = async (pageviewsOnly: boolean) => {
        if (!ranges.length) return undefined;
        let q = db
          .selectFrom('events')
          .select(['stage', 'category', 'path', 'session_id'])
          .where('site_id', '=', key)
          .where((eb) => eb.or(ranges.map((r) => eb.and([eb('visitor_id', '=', r.visitor), eb('ts', '>=', r.from), eb('ts', '<', r.until)]))));
        if (pageviewsOnly) q = q.where('type', '=', 'pageview');
        return q.orderBy('ts').orderBy('id').limit(1).executeTakeFirst();
      };
      const page0 = await first(true);
      const touch = { stage: page0?.stage ?? null, category: page0?.category ?? null, path: page0?.path ?? null };
      const touchKey = JSON.stringify(touch);
      if (!content.has(touchKey)) content.set(touchKey, { ...touch, ...empty() });
      count(content.get(touchKey)!, outcome, reason);
      const visit = await first(false);
      const session = visit && (await db.selectFrom('sessions').select('campaign').where('site_id', '=', key).where('session_id', '=', visit.session_id).executeTakeFirst());
      const c = fromJsonOrNull(session?.campaign ?? null);
      const source = { source: c?.source ?? null, medium: c?.medium ?? null, campaign: c?.campaign ?? null };
      const sourceKey = JSON.stringify(source);
      if (!campaigns.has(sourceKey)) campaigns.set(sourceKey, { ...source, ...empty() });
      count(campaigns.get(sourceKey)!, outcome, reason);
    }
  }
  result.byContent = [...content.values()].sort((a, b) => b.mqls - a.mqls);
  result.byCampaign = [...campaigns.values()].sort((a, b) => b.mqls - a.mqls);
  return result;
}
