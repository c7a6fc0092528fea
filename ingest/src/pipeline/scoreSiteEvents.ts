import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/json.js';
import type { Database, EventsTable, LeadPagesTable } from '../db/schema.js';
import { findOrCreateLeads, identityEvents, linkVisitorsToLeads, type Link, type VisitorScoring } from '../identity/linkVisitorsToLeads.js';
import {
  asLeadEvent,
  eventsOfLead,
  eventsOfVisitor,
  leadSubject,
  lockLeads,
  recordStageChanges,
  recycledSince,
  scoredLead,
  survivorOf,
  visitorSubject,
  type Lead,
  type LeadStageChange,
} from '../leads/leadStore.js';
import type { ReplayItem } from '../replay/replayQueue.js';
import { notBefore, replayLead, replayVisitor } from '../replay/replaySubject.js';
import { comesAfter, emptyState, sortEvents, type RuleHit, type ScoredEvent, type ScoreState, type Scorer } from '../scoring/engine.js';
import { runLead, toScoredEvent } from '../scoring/runLead.js';
import { visitorKey, type VisitorRow } from './visitorRows.js';
import { loadClaims } from '../identity/guardrails.js';

/**
 * A replay inside the commit reads at most this many events; a longer history is replayed off
 * the request path by the replay worker, so no request's work grows with a visitor's history.
 */
export const INLINE_REPLAY_MAX_EVENTS = 200;

/** What scoring a group produces, written by the pipeline in one statement per table. */
export interface ScoringWork {
  hits: Array<RuleHit & { subject: string }>;
  leads: Lead[];
  changes: LeadStageChange[];
  replays: ReplayItem[];
  /** Stage changes already recorded during scoring (lead creations, inline replays). */
  recorded: number;
  /** Leads whose events or links changed so that their first touch may move (`firstTouch/`). */
  touched: Set<string>;
  /** The page views of linked browsers, for their leads' pages (`leadPages/`). */
  pages: LeadPagesTable[];
}

/**
 * Scores one site's newly stored events under the locks of their visitors: each visitor's own
 * engagement, links to leads from forms, and the leads' scores and stages. Incremental: work
 * per event does not grow with history. Where incremental scoring cannot be exact (a visitor
 * just linked, an event older than the subject's last, new rules) the subject is replayed,
 * inline when its history is short and by the replay worker otherwise.
 *
 * @example
 * await scoreSiteEvents(trx, { site: 'demo', scorer, rows, visitors, preEvents, now, work });
 */
export async function scoreSiteEvents(
  trx: Kysely<Database>,
  { site, scorer, rows, visitors, preEvents, now, work, clientOf }: { site: string; scorer: Scorer; rows: EventsTable[]; visitors: Map<string, VisitorRow>; preEvents: Map<string, number>; now: number; work: ScoringWork; /** The sending client of each event, by site and id (`site\u0000id`). */ clientOf?: Map<string, string> },
) {
  if (!rows.length) return;
  const visitorOfId = new Map(rows.map((r) => [r.id, r.visitor_id]));
  const receivedAtOf = new Map(rows.map((r) => [r.id, r.received_at]));
  /**
   * When leadbeam learned what a lead's new events show: the latest receipt among them (the
   * forms that named a lead this group linked are among them), and never before the lead
   * existed. No stage change they cause, incremental or by a replay, is dated before it
   * (`notBefore`): an event's time is the browser's, and a queued one arrives up to 30 days
   * late, so dated at its time a change could precede the lead and its creation in the history,
   * and make a handover overdue on arrival. A browser's older anonymous history thus makes an
   * MQL when its form arrives, not days before anyone gave an email. (A change whose event is
   * newer stays at that event.) A lead with no new events of its own (an earlier lead a late
   * event belongs to) learned of it now.
   */
  const learnedAtOf = (lead: Lead, mine: ScoredEvent[]) =>
    mine.length ? mine.reduce((at, e) => Math.max(at, receivedAtOf.get(e.id) ?? now), lead.created_at) : Math.max(now, lead.created_at);
  const visitorOf = (e: { id: string }) => visitorOfId.get(e.id)!;
  const events = sortEvents(rows.map(toScoredEvent));
  const visitorIds = [...new Set(rows.map((r) => r.visitor_id))].sort();
  // Each visitor's events, in scoring order: grouped once, so a group of many visitors costs
  // events, not visitors × events (a 13,500-message batch took 21 s).
  const eventsOfVisitorHere = groupBy(events, visitorOf);

  // Each visitor's own (anonymous) score, and where it started: a new lead's first scores.
  const scoringOf = new Map<string, VisitorScoring>();
  for (const visitorId of visitorIds) {
    const v = visitors.get(visitorKey(site, visitorId))!;
    const mine = eventsOfVisitorHere.get(visitorId) ?? [];
    const before: ScoreState | undefined = v.score_state ? fromJson(v.score_state) : preEvents.get(visitorKey(site, visitorId)) === 0 ? emptyState() : undefined;
    let state: ScoreState | undefined;
    if (before && mine.every((e) => comesAfter(before, e))) {
      // A state scored under other rules (or kept before states recorded theirs) goes on
      // incrementally for now and is replayed off the request path (an empty one has nothing
      // to replay): a published rule set costs no beacon a read of its visitor's history.
      if (before.lastId && before.rules !== scorer.version) work.replays.push({ kind: 'visitor', site_id: site, subject_id: visitorId });
      const run = runLead(scorer, { state: before, stage: 'visitor' }, mine);
      const subject = visitorSubject(site, visitorId);
      work.hits.push(...run.hits.map((h) => ({ ...h, subject })));
      state = run.state;
      scoringOf.set(visitorId, { state: before, events: mine });
    } else {
      const history = await eventsOfVisitor(trx, site, visitorId, INLINE_REPLAY_MAX_EVENTS + 1);
      if (history.length <= INLINE_REPLAY_MAX_EVENTS) {
        state = await replayVisitor(trx, scorer, site, visitorId, history);
        scoringOf.set(visitorId, { state: emptyState(), events: history });
      } else work.replays.push({ kind: 'visitor', site_id: site, subject_id: visitorId });
    }
    if (state) Object.assign(v, { score_state: toJson(state), engagement: state.engagement, engagement_at: state.at });
  }

  // Who the visitors are: links, leads by email (created on first sight), and events from before a link.
  const links = new Map<string, Link>(
    (await trx.selectFrom('lead_visitors').select(['visitor_id', 'lead_id', 'from_ts', 'owns_traits']).where('site_id', '=', site).where('visitor_id', 'in', visitorIds).execute()).map((l) => [l.visitor_id, l]),
  );
  const earlier = events.filter((e) => e.ts < (links.get(visitorOf(e))?.from_ts ?? 0));
  const pastLeads = new Set<string>();
  if (earlier.length) {
    const past = await trx
      .selectFrom('past_links')
      .select(['visitor_id', 'lead_id', 'from_ts', 'until_ts'])
      .where('site_id', '=', site)
      .where('visitor_id', 'in', [...new Set(earlier.map(visitorOf))])
      .execute();
    // An event from before its visitor's current link belongs to an earlier lead: replay that one.
    const pastOf = groupBy(past, (p) => p.visitor_id);
    for (const e of earlier) for (const p of pastOf.get(visitorOf(e)) ?? []) if (p.from_ts <= e.ts && e.ts < p.until_ts) pastLeads.add(p.lead_id);
  }
  const identities = identityEvents(events, visitorOf, (e) => clientOf?.get(`${site}\u0000${e.id}`), (e) => e.trusted === true);
  // Events that give traits without naming anyone (a form with no email field, an identify
  // with a mistyped email): a linked browser's still go through the guardrails.
  const named = new Set(identities.map((i) => i.event));
  const traitEvents = events.filter((e) => e.traits && !named.has(e)).map((event) => ({ event, visitorId: visitorOf(event), trusted: event.trusted === true }));
  const clients = [...new Set(identities.flatMap((i) => (i.clientKey ? [i.clientKey] : [])))];
  // What these clients created and linked in the last hour: the guardrails' budget.
  const claims = clients.length ? await loadClaims(trx, site, clients, now) : undefined;
  const { leadIdOf, created, createdBy } = await findOrCreateLeads(trx, site, scorer, identities, now, (v) => scoringOf.get(v), claims);
  // Every lead this group may change, locked at once in id order.
  const leads = await lockLeads(trx, [...[...links.values()].map((l) => l.lead_id), ...leadIdOf.values(), ...pastLeads]);
  // A merge that committed while we waited for a lock moved its links to the survivor.
  for (const link of links.values()) link.lead_id = survivorOf(leads, link.lead_id)?.id ?? link.lead_id;
  // Recorded first, so a lead's history starts with its creation.
  await recordStageChanges(trx, created, now);
  work.recorded += created.length;
  const relinked = await linkVisitorsToLeads(trx, { site, identities, traitEvents, leadIdOf, leads, links, now, createdBy, claims });
  for (const id of pastLeads) relinked.add(survivorOf(leads, id)?.id ?? id);
  const leadOfEvent = (e: { id: string; ts: number }) => {
    const link = links.get(visitorOf(e));
    return link && e.ts >= link.from_ts ? link.lead_id : undefined;
  };
  const eventsOfLeadHere = new Map<string, ScoredEvent[]>();
  for (const e of events) {
    const leadId = leadOfEvent(e);
    const lead = leadId ? survivorOf(leads, leadId) : undefined;
    if (!leadId || !lead) continue;
    // An email names this lead when it is its own or leads to it (a lead merged into it).
    const namesLead = (email: string) => email === lead.email || survivorOf(leads, leadIdOf.get(email) ?? '')?.id === lead.id;
    const mine = asLeadEvent(e, namesLead, links.get(visitorOf(e))!.owns_traits !== 1);
    (eventsOfLeadHere.get(leadId) ?? eventsOfLeadHere.set(leadId, []).get(leadId)!).push(mine);
  }
  const leadIds = new Set([...visitorIds.flatMap((v) => (links.has(v) ? [links.get(v)!.lead_id] : [])), ...relinked]);
  for (const leadId of [...leadIds].sort()) {
    const lead = survivorOf(leads, leadId);
    if (!lead || lead.id !== leadId) continue;
    const mine = eventsOfLeadHere.get(leadId) ?? [];
    // Pages only ever join a lead through new page views (an earlier one lowers first_at), so
    // these are exact without a rebuild; what can take pages away marks the lead (touched).
    for (const e of mine) if (e.type === 'pageview') work.pages.push({ site_id: site, lead_id: leadId, path: e.path, stage: (e.stage ?? '') as LeadPagesTable['stage'], first_at: e.ts });
    const state: ScoreState = fromJson(lead.score_state);
    const outOfOrder = !mine.every((e) => comesAfter(state, e));
    // A browser linked or switched, or an event older than the lead's last: its first touch may move.
    if (relinked.has(leadId) || outOfOrder) work.touched.add(leadId);
    if (relinked.has(leadId) || lead.rule_version !== scorer.version || outOfOrder) {
      // Scores become exactly what a replay gives; the stage only moves forward (a late event
      // never takes a lead back from sales: only sales feedback or a rescore does that).
      const history = await eventsOfLead(trx, lead, INLINE_REPLAY_MAX_EVENTS + 1);
      if (history.length <= INLINE_REPLAY_MAX_EVENTS) work.recorded += (await replayLead(trx, scorer, lead, now, { events: history, learnedAt: learnedAtOf(lead, mine) })).changes;
      else work.replays.push({ kind: 'lead', site_id: site, subject_id: leadId });
      continue;
    }
    if (!mine.length) continue;
    // A lead with no page view yet gets its first one from a later event.
    if (lead.touch_path === null) work.touched.add(leadId);
    const recycledAt = lead.stage === 'recycled' ? await recycledSince(trx, leadId) : undefined;
    const run = runLead(scorer, { state, stage: lead.stage, recycledAt }, mine);
    const subject = leadSubject(leadId);
    work.hits.push(...run.hits.map((h) => ({ ...h, subject })));
    const changes = notBefore(scorer, run.state, run.changes, learnedAtOf(lead, mine));
    work.changes.push(...changes.map((c): LeadStageChange => ({ ...c, leadId, source: 'scoring', ruleVersion: scorer.version })));
    work.leads.push(scoredLead(lead, scorer, run.state, run.stage, now));
  }
}

/** Items by key, each list keeping the items' order. */
function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
