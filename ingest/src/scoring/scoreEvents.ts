import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { LeadTraits } from '../../../shared/src/types.js';
import type { Database, EventsTable, LeadsTable } from '../db/schema.js';
import { normaliseEmail } from '../leads/email.js';
import { comesAfter, emptyState, sortEvents, type RuleHit, type ScoredEvent, type ScoreState, type Scorer } from './engine.js';
import { advanceStage, type Stage } from './lifecycle.js';
import { enqueueStageChanges } from '../webhooks/enqueue.js';

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;
export const leadSubject = (leadId: string) => `lead:${leadId}`;
export const visitorSubject = (site: string, visitorId: string) => `visitor:${site}:${visitorId}`;

/** A stored event as scoring sees it. */
export function toScoredEvent(e: Selectable<EventsTable>): ScoredEvent {
  return {
    id: e.id,
    ts: e.ts,
    type: e.type,
    name: e.name,
    path: e.path,
    stage: e.stage,
    category: e.category,
    visit: e.visit,
    sessionId: e.session_id,
    props: e.props ? JSON.parse(e.props) : null,
    traits: e.traits ? JSON.parse(e.traits) : null,
  };
}

async function insertHits(trx: Kysely<Database>, subject: string, hits: RuleHit[]) {
  for (let i = 0; i < hits.length; i += 1000) {
    const chunk = hits.slice(i, i + 1000).map((h) => ({ subject, event_id: h.eventId, rule_id: h.ruleId, points: h.points, ts: h.ts }));
    await trx.insertInto('score_hits').values(chunk).onConflict((oc) => oc.columns(['subject', 'event_id', 'rule_id']).doNothing()).execute();
  }
}

/**
 * Every event that counts for a lead, in scoring order: each linked visitor's events from
 * its link's start, and those of earlier links within their time ranges.
 */
export async function eventsOfLead(trx: Kysely<Database>, lead: { id: string; site_id: string }): Promise<ScoredEvent[]> {
  const current = await trx.selectFrom('lead_visitors').select(['visitor_id', 'from_ts']).where('lead_id', '=', lead.id).execute();
  const past = await trx.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', '=', lead.id).execute();
  if (!current.length && !past.length) return [];
  const rows = await trx
    .selectFrom('events')
    .selectAll()
    .where('site_id', '=', lead.site_id)
    .where((eb) =>
      eb.or([
        ...current.map((l) => eb.and([eb('visitor_id', '=', l.visitor_id), eb('ts', '>=', l.from_ts)])),
        ...past.map((l) => eb.and([eb('visitor_id', '=', l.visitor_id), eb('ts', '>=', l.from_ts), eb('ts', '<', l.until_ts)])),
      ]),
    )
    .orderBy('ts')
    .orderBy('id')
    .execute();
  return rows.map(toScoredEvent);
}

/** Every event of the given visitors, in scoring order. */
export async function eventsOfVisitors(trx: Kysely<Database>, site: string, visitorIds: string[]): Promise<ScoredEvent[]> {
  if (!visitorIds.length) return [];
  const rows = await trx.selectFrom('events').selectAll().where('site_id', '=', site).where('visitor_id', 'in', visitorIds).orderBy('ts').orderBy('id').execute();
  return rows.map(toScoredEvent);
}

export interface StageChange {
  from: Stage;
  to: Stage;
  at: number;
  cause: string;
  engagement: number;
  fit: number;
}

/**
 * Runs events through scoring and the lifecycle from a given state and stage: the one path
 * that both incremental scoring and a full replay take, so the two cannot disagree.
 */
export function runLead(scorer: Scorer, start: { state: ScoreState; stage: Stage; recycledAt?: number }, events: ScoredEvent[]) {
  let { state, stage } = start;
  const { recycledAt } = start;
  const hits: RuleHit[] = [];
  const changes: StageChange[] = [];
  for (const e of events) {
    const result = scorer.scoreEvent(state, e);
    state = result.state;
    hits.push(...result.hits);
    const scores = scorer.scoresAt(state, e.ts);
    const next = advanceStage(stage, { passesMql: scorer.passesMql(scores), qualifies: result.qualifies, ruleId: result.qualifiedBy, at: e.ts, recycledAt });
    if (next) {
      changes.push({ from: stage, to: next.stage, at: e.ts, cause: next.cause, engagement: scores.engagement, fit: scores.fit });
      stage = next.stage;
    }
  }
  return { state, stage, hits, changes };
}

let changeSeq = 0;
/** Stage change ids sort in the order the changes happened, even within one millisecond. */
const changeId = (at: number) => `sc_${at.toString(36).padStart(9, '0')}_${(changeSeq++ % 1e6).toString(36).padStart(4, '0')}_${randomBytes(3).toString('hex')}`;

/** Records stage changes and, in the same transaction, the webhook deliveries they raise. */
export async function recordStageChanges(trx: Kysely<Database>, leadId: string, changes: StageChange[], source: string, version: string) {
  if (!changes.length) return;
  await trx
    .insertInto('stage_changes')
    .values(changes.map((c) => ({ id: changeId(c.at), lead_id: leadId, from_stage: c.from, to_stage: c.to, at: c.at, cause: c.cause, source, engagement: c.engagement, fit: c.fit, rule_version: version })))
    .execute();
  await enqueueStageChanges(trx, leadId, changes, source, Date.now());
}

async function saveLead(trx: Kysely<Database>, lead: Selectable<LeadsTable>, scorer: Scorer, state: ScoreState, stage: Stage, now: number) {
  const fit = scorer.fitHits(state.traits).reduce((a, h) => a + h.points, 0);
  const traits: LeadTraits = { ...JSON.parse(lead.traits), ...state.traits };
  await trx
    .updateTable('leads')
    .set({ score_state: JSON.stringify(state), engagement: state.engagement, engagement_at: state.at, fit, stage, traits: JSON.stringify(traits), rule_version: scorer.version, updated_at: now })
    .where('id', '=', lead.id)
    .execute();
}

/**
 * Scores a lead from scratch: every event of every visitor linked to it, in time order. Used
 * when a visitor is linked (its anonymous history counts at once, in order), when an event
 * arrives older than the lead's last one, and when the rules change. With `allowDown` a stage
 * that scoring owns (lead, MQL) becomes whatever the replay gives, down as well as up; stages
 * set by sales (SQL and beyond, recycled, disqualified) stay.
 */
export async function replayLead(trx: Kysely<Database>, scorer: Scorer, lead: Selectable<LeadsTable>, now: number, { source = 'scoring', allowDown = false } = {}) {
  const events = await eventsOfLead(trx, lead);
  const replayed = runLead(scorer, { state: emptyState(), stage: 'lead' }, events);
  const current = lead.stage as Stage;
  let stage = current;
  let changes: StageChange[] = [];
  const rank = (s: Stage) => ['lead', 'mql', 'sql'].indexOf(s);
  if (current === 'lead' || current === 'mql') {
    // Scoring owns these stages: forward only, or wherever new rules put it on a rescore.
    if (rank(replayed.stage) > rank(current)) {
      changes = replayed.changes.filter((c) => rank(c.to) > rank(current)).map((c) => ({ ...c, from: c.from === 'lead' && current === 'mql' ? 'mql' : c.from }));
      stage = replayed.stage;
    } else if (allowDown && replayed.stage !== current) {
      const scores = scorer.scoresAt(replayed.state, now);
      changes = [{ from: current, to: replayed.stage, at: now, cause: source === 'rescore' ? `rescore:${scorer.version}` : 'replay', engagement: scores.engagement, fit: scores.fit }];
      stage = replayed.stage;
    }
  } else if (current === 'recycled') {
    // Only what happened after sales recycled it can qualify it again.
    const recycledAt = await recycledSince(trx, lead.id);
    const again = runLead(scorer, { state: emptyState(), stage: 'recycled', recycledAt }, events);
    changes = again.changes;
    stage = again.stage;
  }
  await trx.deleteFrom('score_hits').where('subject', '=', leadSubject(lead.id)).execute();
  await insertHits(trx, leadSubject(lead.id), replayed.hits);
  await recordStageChanges(trx, lead.id, changes, source, scorer.version);
  await saveLead(trx, lead, scorer, replayed.state, stage, now);
  return { from: current, to: stage, events: events.length };
}

/** When sales last sent the lead back to nurture. */
export async function recycledSince(trx: Kysely<Database>, leadId: string): Promise<number> {
  const change = await trx.selectFrom('stage_changes').select('at').where('lead_id', '=', leadId).where('to_stage', '=', 'recycled').orderBy('at', 'desc').limit(1).executeTakeFirst();
  return change?.at ?? 0;
}

/** Re-scores one visitor's own (anonymous) engagement from its stored events. */
async function replayVisitor(trx: Kysely<Database>, scorer: Scorer, site: string, visitorId: string) {
  const { state, hits } = runLead(scorer, { state: emptyState(), stage: 'visitor' }, await eventsOfVisitors(trx, site, [visitorId]));
  const subject = visitorSubject(site, visitorId);
  await trx.deleteFrom('score_hits').where('subject', '=', subject).execute();
  await insertHits(trx, subject, hits);
  return state;
}

/** A lead with this many browsers and devices is most likely a shared or scripted address. */
export const MAX_VISITORS_PER_LEAD = 50;

async function logIdentity(trx: Kysely<Database>, entry: { site: string; visitorId: string | null; leadId: string; otherLeadId?: string | null; kind: string; detail: string; at: number }) {
  await trx
    .insertInto('identity_log')
    .values({ id: newId('id'), site_id: entry.site, visitor_id: entry.visitorId, lead_id: entry.leadId, other_lead_id: entry.otherLeadId ?? null, kind: entry.kind, detail: entry.detail, at: entry.at })
    .execute();
}

/**
 * Links a form's or identify's visitor to the lead with that email, creating the lead on first
 * sight (its id never changes after). The guardrails:
 * - junk and malformed emails link nothing (`normaliseEmail`);
 * - a browser already linked to lead A that gives email B (a shared computer) is linked to B
 *   from that event on; A keeps everything before it, and the switch is logged;
 * - two known leads are never merged by a link (only the merge API does that);
 * - a lead with MAX_VISITORS_PER_LEAD browsers takes no more, and says why in the log.
 * Returns the leads whose events changed (they must be replayed).
 */
async function linkVisitors(trx: Kysely<Database>, site: string, events: ScoredEvent[], visitorOf: Map<string, string>, scorer: Scorer, now: number) {
  const changed = new Set<string>();
  for (const e of events) {
    if (e.type !== 'form' && e.type !== 'identify') continue;
    const email = normaliseEmail(e.traits?.email);
    if (!email) continue;
    const visitorId = visitorOf.get(e.id)!;
    let lead = await trx.selectFrom('leads').selectAll().where('site_id', '=', site).where('email', '=', email).executeTakeFirst();
    if (lead?.merged_into) lead = await trx.selectFrom('leads').selectAll().where('id', '=', lead.merged_into).executeTakeFirstOrThrow();
    if (!lead) {
      lead = {
        id: newId('ld'),
        site_id: site,
        email,
        traits: JSON.stringify(e.traits ?? {}),
        stage: 'lead',
        score_state: JSON.stringify(emptyState()),
        rule_version: scorer.version,
        engagement: 0,
        engagement_at: 0,
        fit: 0,
        created_at: now,
        updated_at: now,
        merged_into: null,
      };
      await trx.insertInto('leads').values(lead).execute();
      await recordStageChanges(trx, lead.id, [{ from: 'visitor', to: 'lead', at: e.ts, cause: `${e.type}:${e.name ?? 'identify'}`, engagement: 0, fit: 0 }], 'scoring', scorer.version);
    }
    const link = await trx.selectFrom('lead_visitors').selectAll().where('site_id', '=', site).where('visitor_id', '=', visitorId).executeTakeFirst();
    if (link?.lead_id === lead.id) continue;
    const count = await trx.selectFrom('lead_visitors').select((eb) => eb.fn.countAll<number>().as('n')).where('lead_id', '=', lead.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_VISITORS_PER_LEAD) {
      await logIdentity(trx, { site, visitorId, leadId: lead.id, kind: 'refused', detail: `the lead already has ${MAX_VISITORS_PER_LEAD} browsers: not linking more`, at: e.ts });
      continue;
    }
    if (link) {
      // A shared computer: the earlier lead keeps its past, the new one gets what follows.
      await trx.insertInto('past_links').values({ site_id: site, visitor_id: visitorId, lead_id: link.lead_id, from_ts: link.from_ts, until_ts: e.ts }).execute();
      await trx.updateTable('lead_visitors').set({ lead_id: lead.id, from_ts: e.ts, linked_at: now }).where('site_id', '=', site).where('visitor_id', '=', visitorId).execute();
      await logIdentity(trx, { site, visitorId, leadId: lead.id, otherLeadId: link.lead_id, kind: 'switched', detail: `this browser was linked to ${link.lead_id}; from this event on it counts for ${lead.id}`, at: e.ts });
      changed.add(link.lead_id);
    } else {
      await trx.insertInto('lead_visitors').values({ site_id: site, visitor_id: visitorId, lead_id: lead.id, linked_at: now, from_ts: 0 }).execute();
      await logIdentity(trx, { site, visitorId, leadId: lead.id, kind: 'linked', detail: `linked by ${e.type} ${e.name ?? ''}`.trim(), at: e.ts });
    }
    changed.add(lead.id);
  }
  return changed;
}

/**
 * Scores newly stored events, in the same transaction that stored them: each visitor's own
 * engagement, and the lead's when the visitor is known. Incremental (work per event does not
 * grow with history), except where a replay is needed to stay exact: a visitor just linked,
 * or an event older than the subject's last.
 *
 * @example
 * await scoreNewEvents(trx, scorer, 'demo', inserted, Date.now());
 */
export async function scoreNewEvents(trx: Kysely<Database>, scorer: Scorer, site: string, inserted: EventsTable[], now: number) {
  if (!inserted.length) return;
  const visitorOf = new Map(inserted.map((e) => [e.id, e.visitor_id]));
  const events = sortEvents(inserted.map(toScoredEvent));
  const relinked = await linkVisitors(trx, site, events, visitorOf, scorer, now);

  // Each visitor's own score.
  const visitorIds = [...new Set(inserted.map((e) => e.visitor_id))];
  const visitors = await trx.selectFrom('visitors').select(['visitor_id', 'score_state']).where('site_id', '=', site).where('visitor_id', 'in', visitorIds).execute();
  for (const v of visitors) {
    const mine = events.filter((e) => visitorOf.get(e.id) === v.visitor_id);
    const before: ScoreState | undefined = v.score_state ? JSON.parse(v.score_state) : undefined;
    let state: ScoreState;
    if (before && mine.every((e) => comesAfter(before, e))) {
      const run = runLead(scorer, { state: before, stage: 'visitor' }, mine);
      await insertHits(trx, visitorSubject(site, v.visitor_id), run.hits);
      state = run.state;
    } else state = await replayVisitor(trx, scorer, site, v.visitor_id);
    await trx.updateTable('visitors').set({ score_state: JSON.stringify(state), engagement: state.engagement, engagement_at: state.at }).where('site_id', '=', site).where('visitor_id', '=', v.visitor_id).execute();
  }

  // Leads of the visitors that are known.
  const links = await trx.selectFrom('lead_visitors').select(['visitor_id', 'lead_id', 'from_ts']).where('site_id', '=', site).where('visitor_id', 'in', visitorIds).execute();
  const linkOf = new Map(links.map((l) => [l.visitor_id, l]));
  // An event from before its visitor's current link belongs to an earlier lead: replay that one.
  const earlier = events.filter((e) => e.ts < (linkOf.get(visitorOf.get(e.id)!)?.from_ts ?? 0));
  for (const e of earlier) {
    const past = await trx
      .selectFrom('past_links')
      .select('lead_id')
      .where('site_id', '=', site)
      .where('visitor_id', '=', visitorOf.get(e.id)!)
      .where('from_ts', '<=', e.ts)
      .where('until_ts', '>', e.ts)
      .executeTakeFirst();
    if (past) relinked.add(past.lead_id);
  }
  const leadOfEvent = (e: ScoredEvent) => {
    const link = linkOf.get(visitorOf.get(e.id)!);
    return link && e.ts >= link.from_ts ? link.lead_id : undefined;
  };
  for (const leadId of new Set([...links.map((l) => l.lead_id), ...relinked])) {
    const lead = await trx.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirstOrThrow();
    const mine = events.filter((e) => leadOfEvent(e) === leadId);
    const state: ScoreState = JSON.parse(lead.score_state);
    if (relinked.has(leadId) || lead.rule_version !== scorer.version || !mine.every((e) => comesAfter(state, e))) {
      // Scores become exactly what a replay gives; the stage only moves forward (a late event
      // never takes a lead back from sales: only sales feedback or a rescore does that).
      await replayLead(trx, scorer, lead, now);
      continue;
    }
    const recycledAt = lead.stage === 'recycled' ? await recycledSince(trx, leadId) : undefined;
    const run = runLead(scorer, { state, stage: lead.stage as Stage, recycledAt }, mine);
    await insertHits(trx, leadSubject(leadId), run.hits);
    await recordStageChanges(trx, leadId, run.changes, 'scoring', scorer.version);
    await saveLead(trx, lead, scorer, run.state, run.stage, now);
  }
}
