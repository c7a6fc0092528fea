import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import { toJson } from '../db/json.js';
import type { ChangeSource, Database } from '../db/schema.js';
import {
  eventsOfLead,
  eventsOfVisitor,
  insertHits,
  leadSubject,
  recordStageChanges,
  recycledSince,
  saveLeads,
  scoredLead,
  visitorSubject,
  type Lead,
  type LeadStageChange,
} from '../leads/leadStore.js';
import { emptyState, type ScoredEvent, type ScoreState, type Scorer } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import { runLead, type StageChange } from '../scoring/runLead.js';

const rank = (s: Stage) => ['lead', 'mql', 'sql'].indexOf(s);

/**
 * Stage changes dated no earlier than `learnedAt`, when leadbeam learned of them (live: the
 * receipt of the events that caused them, never before the lead's creation; a rescore or a
 * queued replay: when it runs): sales is handed a lead when leadbeam can tell them, not when an
 * event it had not seen yet (or rules not yet published) would have crossed the threshold.
 * Dated at that event, publishing new rules made MQLs weeks overdue at once, a demo request
 * from a browser's offline queue dated an MQL 20 days before the lead existed, speed to lead
 * counted days nobody could answer in, and the webhook carried the scores of then. A moved
 * change carries the scores of `learnedAt`.
 *
 * @example
 * notBefore(scorer, state, [{ from: 'lead', to: 'mql', at: threeDaysAgo, … }], Date.now()) // at: now
 */
export function notBefore(scorer: Scorer, state: ScoreState, changes: StageChange[], learnedAt: number): StageChange[] {
  return changes.map((c) => {
    if (c.at >= learnedAt) return c;
    // The scores of learnedAt, when every event counted is at or before it (a rescore, a replay).
    const scores = learnedAt >= state.at ? scorer.scoresAt(state, learnedAt) : c;
    return { ...c, at: learnedAt, engagement: scores.engagement, fit: scores.fit };
  });
}

/**
 * Scores a lead from scratch: every event of every visitor linked to it, in time order. Used
 * when a visitor is linked (its anonymous history counts at once, in order), when an event
 * arrives older than the lead's last one, and when the rules change. With `allowDown` a stage
 * that scoring owns (lead, MQL) becomes whatever the replay gives, down as well as up; stages
 * set by sales (SQL and beyond, recycled, disqualified) stay. The caller holds the lead's lock.
 *
 * @example
 * const { from, to } = await replayLead(trx, scorer, lead, Date.now(), { source: 'rescore', allowDown: true });
 */
export async function replayLead(
  trx: Kysely<Database>,
  scorer: Scorer,
  lead: Lead,
  now: number,
  {
    source = 'scoring',
    allowDown = false,
    events: given,
    learnedAt,
  }: {
    source?: ChangeSource;
    allowDown?: boolean;
    events?: ScoredEvent[];
    /** When leadbeam learned what this replay shows (the latest receipt, `received_at`, of the events that caused it, and not before the lead's creation); `now` by default (new rules, a merge, a queued replay). */
    learnedAt?: number;
  } = {},
) {
  const events = given ?? (await eventsOfLead(trx, lead));
  const replayed = runLead(scorer, { state: emptyState(), stage: 'lead' }, events);
  const current = lead.stage;
  let stage = current;
  let changes: StageChange[] = [];
  // Sales' last word stands: a lead sales recycled is judged only by what it did after that, also
  // once scoring has qualified it again (new rules that undo the ones that did send it back).
  const recycledAt = current === 'lead' || current === 'mql' || current === 'recycled' ? await recycledSince(trx, lead.id) : 0;
  const staged = recycledAt || current === 'recycled' ? runLead(scorer, { state: emptyState(), stage: 'recycled', recycledAt }, events) : replayed;
  if (current === 'lead' || current === 'mql') {
    // Scoring owns these stages: forward only, or wherever new rules put it on a rescore.
    if (rank(staged.stage) > rank(current)) {
      changes = staged.changes.filter((c) => rank(c.to) > rank(current)).map((c) => ({ ...c, from: c.from === 'lead' || c.from === 'recycled' ? current : c.from }));
      stage = staged.stage;
    } else if (allowDown && staged.stage !== current) {
      const scores = scorer.scoresAt(replayed.state, now);
      changes = [{ from: current, to: staged.stage, at: now, cause: source === 'rescore' ? `rescore:${scorer.version}` : 'replay', engagement: scores.engagement, fit: scores.fit }];
      stage = staged.stage;
    }
  } else if (current === 'recycled') {
    // Only what happened after sales recycled it can qualify it again.
    changes = staged.changes;
    stage = staged.stage;
  }
  changes = notBefore(scorer, replayed.state, changes, learnedAt ?? now);
  const subject = leadSubject(lead.id);
  await trx.deleteFrom('score_hits').where('subject', '=', subject).execute();
  await insertHits(trx, replayed.hits.map((h) => ({ ...h, subject })));
  await recordStageChanges(trx, changes.map((c): LeadStageChange => ({ ...c, leadId: lead.id, source, ruleVersion: scorer.version })), now);
  await saveLeads(trx, [scoredLead(lead, scorer, replayed.state, stage, now)]);
  return { from: current, to: stage, events: events.length, changes: changes.length };
}

/**
 * Re-scores one visitor's own (anonymous) engagement from its stored events and stores it.
 *
 * @example
 * const state = await replayVisitor(trx, scorer, 'demo', 'v_123');
 */
export async function replayVisitor(trx: Kysely<Database>, scorer: Scorer, site: string, visitorId: string, given?: ScoredEvent[]): Promise<ScoreState> {
  const { state, hits } = runLead(scorer, { state: emptyState(), stage: 'visitor' }, given ?? (await eventsOfVisitor(trx, site, visitorId)));
  const subject = visitorSubject(site, visitorId);
  await trx.deleteFrom('score_hits').where('subject', '=', subject).execute();
  await insertHits(trx, hits.map((h) => ({ ...h, subject })));
  await trx.updateTable('visitors').set({ score_state: toJson(state), engagement: state.engagement, engagement_at: state.at }).where('site_id', '=', site).where('visitor_id', '=', visitorId).execute();
  return state;
}

/**
 * Replays one queued subject under its lock (taken here, in a transaction of its own), so live
 * traffic for the same lead or visitor waits for it instead of interleaving.
 */
export async function replayQueuedSubject(db: Kysely<Database>, scorer: Scorer, item: { kind: 'lead' | 'visitor'; site_id: string; subject_id: string }, now: number) {
  return db.transaction().execute(async (trx) => {
    if (item.kind === 'visitor') {
      let q = trx.selectFrom('visitors').select('visitor_id').where('site_id', '=', item.site_id).where('visitor_id', '=', item.subject_id);
      if (isPostgres(trx)) q = q.forUpdate();
      if (!(await q.executeTakeFirst())) return 0;
      await replayVisitor(trx, scorer, item.site_id, item.subject_id);
      return 1;
    }
    let q = trx.selectFrom('leads').selectAll().where('id', '=', item.subject_id);
    if (isPostgres(trx)) q = q.forUpdate();
    const lead = await q.executeTakeFirst();
    if (!lead || lead.merged_into) return 0;
    await replayLead(trx, scorer, lead, now);
    return 1;
  });
}
