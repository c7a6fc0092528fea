import type { Kysely } from 'kysely';
import { z } from 'zod';
import { fromJson } from '../db/json.js';
import type { Database, FeedbackType } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { createScorer, emptyState, type ScoredEvent, type Scorer } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import { runLead } from '../scoring/runLead.js';
import { scoringSchema } from '../scoring/rulesSchema.js';
import { calibrateThreshold, type Calibration } from './calibrateThreshold.js';
import { eventsOfLeads } from './eventsOfLeads.js';

/** A backtest's input; errors name the field from the body's root (`rules.engagement.2.points`). */
/** The site and the draft rules; a `note` is taken and ignored, so the body a publish takes backtests as it is. */
export const backtestSchema = z.object({ site: z.string().min(1), rules: scoringSchema, note: z.string().max(2000).optional() }).strict();

interface Scores {
  stage: Stage;
  engagement: number;
  fit: number;
  total: number;
}

/** A lead whose stage the draft would change. */
export interface MovedLead {
  id: string;
  email: string;
  company: string | null;
  now: Scores;
  draft: Scores;
}

/** How often the rules qualify leads of one sales outcome. */
export interface OutcomeCount {
  leads: number;
  /** Qualified (MQL or SQL) by the rules in effect / by the draft, from the lead's events up to sales' first decision. */
  qualifiedNow: number;
  qualifiedDraft: number;
}

export interface Backtest {
  site: string;
  versions: { now: string; draft: string };
  /** The draft is the rule set in effect: nothing would change. */
  identical: boolean;
  leads: number;
  events: number;
  /** Leads at MQL or beyond (MQL, SQL, opportunity, customer) now, and after publishing the draft. */
  mqlOrBeyond: { now: number; draft: number };
  /** Leads whose stage the draft moves, and the first `listLimit` of them. */
  moves: { up: number; down: number; leads: MovedLead[]; truncated: boolean };
  /** Leads publishing would hand to sales at once (from below MQL to MQL or beyond: a handover each, with its webhooks), and take back below MQL. */
  handovers: { toSales: number; backFromSales: number };
  /** Leads by sales' latest decision: accepted (or opportunity, won) versus rejected or lost. */
  outcomes: { acceptedOrWon: OutcomeCount; rejectedOrLost: OutcomeCount };
  /** Won versus lost leads' peak engagement under the draft, and the threshold separating them best. */
  calibration: Calibration;
}

const ORDER: Stage[] = ['visitor', 'lead', 'recycled', 'mql', 'sql', 'opportunity', 'customer'];
const BEYOND_MQL = new Set<Stage>(['mql', 'sql', 'opportunity', 'customer']);
const POSITIVE = new Set<FeedbackType>(['accepted', 'opportunity', 'won']);
const DECISIONS = new Set<FeedbackType>(['accepted', 'opportunity', 'won', 'rejected', 'lost']);

/** Where a publish would take a lead: what a rescore (`replayLead` with `allowDown`) does. */
function stageUnder(scorer: Scorer, stage: Stage, events: ScoredEvent[], recycledAt: number, fromScratch: Stage): Stage {
  // A lead sales recycled is judged by what it did after that, as a rescore judges it (replayLead).
  if (stage === 'recycled' || (recycledAt && (stage === 'lead' || stage === 'mql'))) return runLead(scorer, { state: emptyState(), stage: 'recycled', recycledAt }, events).stage;
  if (stage === 'lead' || stage === 'mql') return fromScratch;
  return stage;
}

/** Whether the rules qualify a lead from these events (a threshold or a hand-raiser). */
const qualifies = (scorer: Scorer, events: ScoredEvent[]) => runLead(scorer, { state: emptyState(), stage: 'lead' }, events).stage !== 'lead';

/** The highest engagement a lead reached while its fit passed the MQL fit threshold; null if it never did. */
function peakEngagement(scorer: Scorer, events: ScoredEvent[]): number | null {
  let state = emptyState();
  let peak: number | null = null;
  for (const e of events) {
    state = scorer.scoreEvent(state, e).state;
    const scores = scorer.scoresAt(state, e.ts);
    if (scores.fit >= scorer.rules.thresholds.mql.fit && (peak === null || scores.engagement > peak)) peak = scores.engagement;
  }
  return peak;
}

/**
 * Replays the stored history of every lead of a site under a draft rule set with the pure
 * engine, writing nothing: how many leads would be MQL or beyond, which leads move up or down
 * (what publishing would do), how often the draft and the rules in effect qualify the leads
 * sales accepted or won and those it rejected or lost (from each lead's events up to sales'
 * first decision), and the threshold calibration of won against lost leads. Reads leads a page
 * at a time, never the whole data set. Throws a 400 `ApiError` naming the field of an invalid
 * draft, 404 for an unknown site.
 *
 * @example
 * const result = await backtestRules(db, scorers, { site: 'demo', rules: draft });
 * result.mqlOrBeyond // { now: 41, draft: 37 }
 */
export async function backtestRules(
  db: Kysely<Database>,
  scorers: Map<string, Scorer>,
  input: unknown,
  { now = Date.now(), pageSize = 200, listLimit = 200 }: { now?: number; pageSize?: number; listLimit?: number } = {},
): Promise<Backtest> {
  const parsed = backtestSchema.safeParse(input);
  if (!parsed.success) throw ApiError.fromZod(parsed.error);
  const { site } = parsed.data;
  const current = scorers.get(site);
  if (!current) throw new ApiError(404, 'not_found', `site: no site "${site}" in the config file`, { field: 'site' });
  const draft = createScorer(parsed.data.rules);
  const result: Omit<Backtest, 'calibration'> = {
    site,
    versions: { now: current.version, draft: draft.version },
    identical: current.version === draft.version,
    leads: 0,
    events: 0,
    mqlOrBeyond: { now: 0, draft: 0 },
    moves: { up: 0, down: 0, leads: [], truncated: false },
    handovers: { toSales: 0, backFromSales: 0 },
    outcomes: { acceptedOrWon: { leads: 0, qualifiedNow: 0, qualifiedDraft: 0 }, rejectedOrLost: { leads: 0, qualifiedNow: 0, qualifiedDraft: 0 } },
  };
  const peaks = { won: [] as Array<number | null>, lost: [] as Array<number | null> };
  let lastId = '';
  for (;;) {
    // A backtest replays every lead (seconds at 100,000 leads) on the server's thread: between
    // pages, let the requests that came meanwhile (beacons first of all) be answered.
    await new Promise((resolve) => setImmediate(resolve));
    // Paged by id alone, filtered here: a site filter in the query lets SQLite's planner pick
    // the site's index and sort all of its leads for every page.
    const read = await db.selectFrom('leads').selectAll().where('id', '>', lastId).orderBy('id').limit(pageSize).execute();
    if (!read.length) break;
    lastId = read[read.length - 1]!.id;
    const page = read.filter((l) => l.site_id === site && !l.merged_into);
    if (!page.length) continue;
    const ids = page.map((l) => l.id);
    const histories = await eventsOfLeads(db, site, ids);
    const decisions = new Map<string, Array<{ type: FeedbackType; at: number }>>();
    for (const f of await db.selectFrom('feedback').select(['lead_id', 'type', 'at']).where('lead_id', 'in', ids).orderBy('at').orderBy('id').execute()) {
      if (DECISIONS.has(f.type)) decisions.set(f.lead_id, [...(decisions.get(f.lead_id) ?? []), { type: f.type, at: Number(f.at) }]);
    }
    const recycled = new Map(
      (await db.selectFrom('stage_changes').select(['lead_id', (eb) => eb.fn.max('at').as('at')]).where('lead_id', 'in', ids).where('to_stage', '=', 'recycled').where('cause', 'like', 'feedback:%').groupBy('lead_id').execute()).map((r) => [r.lead_id, Number(r.at)]),
    );
    for (const lead of page) {
      const events = histories.get(lead.id) ?? [];
      result.leads++;
      result.events += events.length;
      const replayedNow = runLead(current, { state: emptyState(), stage: 'lead' }, events);
      const replayedDraft = runLead(draft, { state: emptyState(), stage: 'lead' }, events);
      const stageDraft = stageUnder(draft, lead.stage, events, recycled.get(lead.id) ?? 0, replayedDraft.stage);
      if (BEYOND_MQL.has(lead.stage)) result.mqlOrBeyond.now++;
      if (BEYOND_MQL.has(stageDraft)) result.mqlOrBeyond.draft++;
      if (BEYOND_MQL.has(stageDraft) !== BEYOND_MQL.has(lead.stage)) result.handovers[BEYOND_MQL.has(stageDraft) ? 'toSales' : 'backFromSales']++;
      if (stageDraft !== lead.stage) {
        result.moves[ORDER.indexOf(stageDraft) > ORDER.indexOf(lead.stage) ? 'up' : 'down']++;
        if (result.moves.leads.length < listLimit) {
          const traits = fromJson(lead.traits);
          result.moves.leads.push({
            id: lead.id,
            email: lead.email,
            company: traits.company ?? null,
            now: { stage: lead.stage, ...current.scoresAt(replayedNow.state, now) },
            draft: { stage: stageDraft, ...draft.scoresAt(replayedDraft.state, now) },
          });
        } else result.moves.truncated = true;
      }
      const decided = decisions.get(lead.id);
      if (!decided) continue;
      // What the rules would have made of the lead before sales first decided on it.
      const before = events.filter((e) => e.ts <= decided[0]!.at);
      const latest = decided[decided.length - 1]!.type;
      const bucket = result.outcomes[POSITIVE.has(latest) ? 'acceptedOrWon' : 'rejectedOrLost'];
      bucket.leads++;
      if (qualifies(current, before)) bucket.qualifiedNow++;
      if (qualifies(draft, before)) bucket.qualifiedDraft++;
      const outcome = [...decided].reverse().find((d) => d.type === 'won' || d.type === 'lost')?.type;
      if (outcome === 'won' || outcome === 'lost') peaks[outcome].push(peakEngagement(draft, before));
    }
  }
  return { ...result, calibration: calibrateThreshold(peaks, draft.rules.thresholds.mql.engagement) };
}
