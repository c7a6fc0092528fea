import type { Kysely, Selectable } from 'kysely';
import { fromJson, fromJsonOrNull } from '../db/json.js';
import type { Database, EventsTable, SessionsTable } from '../db/schema.js';
import { personOf } from './personOf.js';
import { presentEvent } from '../visitors/presentEvent.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const chunks = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / 500) }, (_, i) => items.slice(i * 500, (i + 1) * 500));

/**
 * Everything held about one person, as JSON (a data subject's access request): the lead and
 * the leads merged into it, their traits, every event of their browsers (within the windows a
 * shared browser was theirs) and the events naming their emails from browsers never linked to
 * them (with those events' visits), visits, score hits, stage history, trait history (every change
 * proposed, kept or refused, with its source), sales feedback, identity log, follow-up breaches
 * and webhook deliveries with their attempts. Undefined when there is no such lead.
 *
 * @example
 * const everything = await exportLead(db, 'ld_abc');
 */
export async function exportLead(db: Kysely<Database>, leadId: string) {
  const scope = await personOf(db, leadId);
  if (!scope) return undefined;
  const { leadIds, siteId, currentVisitors, pastWindows, unlinked } = scope;
  const visitorIds = [...currentVisitors, ...pastWindows.map((w) => w.visitorId)];
  const leads = await db.selectFrom('leads').selectAll().where('id', 'in', leadIds).execute();
  const linkedEvents = visitorIds.length
    ? (await db.selectFrom('events').selectAll().where('site_id', '=', siteId).where('visitor_id', 'in', visitorIds).orderBy('ts').orderBy('id').execute()).filter(
        (e) => currentVisitors.includes(e.visitor_id) || pastWindows.some((w) => w.visitorId === e.visitor_id && w.fromTs <= e.ts && e.ts < w.untilTs),
      )
    : [];
  // Of browsers never linked to the person, the events naming them and those events' visits.
  const unlinkedEvents: Selectable<EventsTable>[] = [];
  const unlinkedSessions: Selectable<SessionsTable>[] = [];
  for (const ids of chunks(unlinked.flatMap((u) => u.eventIds))) unlinkedEvents.push(...(await db.selectFrom('events').selectAll().where('site_id', '=', siteId).where('id', 'in', ids).execute()));
  for (const u of unlinked.filter((b) => !visitorIds.includes(b.visitorId))) {
    for (const ids of chunks(u.sessionIds)) unlinkedSessions.push(...(await db.selectFrom('sessions').selectAll().where('site_id', '=', siteId).where('visitor_id', '=', u.visitorId).where('session_id', 'in', ids).execute()));
  }
  const events = [...linkedEvents, ...unlinkedEvents].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const visitors = currentVisitors.length ? await db.selectFrom('visitors').selectAll().where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute() : [];
  const sessions = [...(visitorIds.length ? await db.selectFrom('sessions').selectAll().where('site_id', '=', siteId).where('visitor_id', 'in', visitorIds).execute() : []), ...unlinkedSessions];
  const subjects = leadIds.map((id) => `lead:${id}`);
  const hits = await db.selectFrom('score_hits').selectAll().where('subject', 'in', subjects).orderBy('ts').orderBy('event_id').orderBy('rule_id').execute();
  const stageChanges = await db.selectFrom('stage_changes').selectAll().where('lead_id', 'in', leadIds).orderBy('at').orderBy('id').execute();
  const traitChanges = await db.selectFrom('trait_changes').selectAll().where('lead_id', 'in', leadIds).orderBy('at').orderBy('id').execute();
  const breaches = await db.selectFrom('follow_up_breaches').selectAll().where('lead_id', 'in', leadIds).orderBy('breached_at').execute();
  const feedback = await db.selectFrom('feedback').selectAll().where('lead_id', 'in', leadIds).orderBy('at').execute();
  const identity = await db
    .selectFrom('identity_log')
    .selectAll()
    .where((eb) => eb.or([eb('lead_id', 'in', leadIds), eb('other_lead_id', 'in', leadIds)]))
    .orderBy('at')
    .execute();
  const deliveries = await db.selectFrom('webhook_deliveries').selectAll().where('lead_id', 'in', leadIds).orderBy('created_at').execute();
  const attempts = deliveries.length ? await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveries.map((d) => d.id)).orderBy('attempt').execute() : [];
  return {
    exportedAt: new Date().toISOString(),
    leads: leads.map((l) => ({ id: l.id, site: l.site_id, email: l.email, stage: l.stage, traits: fromJson(l.traits), mergedInto: l.merged_into, createdAt: iso(l.created_at), updatedAt: iso(l.updated_at) })),
    browsers: [
      ...visitors.map((v) => ({ visitorId: v.visitor_id, firstSeenAt: iso(v.first_seen_at), lastSeenAt: iso(v.last_seen_at), visits: v.visits, events: v.events })),
      ...pastWindows.map((w) => ({ visitorId: w.visitorId, sharedFrom: iso(w.fromTs), sharedUntil: iso(w.untilTs) })),
      // Never linked to the person: only its events naming them (under events) are theirs.
      ...unlinked.filter((u) => !pastWindows.some((w) => w.visitorId === u.visitorId)).map((u) => ({ visitorId: u.visitorId, linked: false })),
    ],
    visits: sessions.map((s) => ({ sessionId: s.session_id, visitorId: s.visitor_id, startedAt: iso(s.started_at), campaign: fromJsonOrNull(s.campaign) })),
    events: events.map(presentEvent),
    scoreHits: hits.map((h) => ({ leadId: h.subject.slice('lead:'.length), eventId: h.event_id, ruleId: h.rule_id, points: h.points, ts: iso(h.ts) })),
    stageHistory: stageChanges.map((c) => ({ leadId: c.lead_id, from: c.from_stage, to: c.to_stage, at: iso(c.at), cause: c.cause, source: c.source })),
    traitHistory: traitChanges.map((t) => ({ leadId: t.lead_id, trait: t.trait, value: t.value, previous: t.previous, source: t.source, visitorId: t.visitor_id, accepted: t.accepted === 1, at: iso(t.at) })),
    feedback: feedback.map((f) => ({ leadId: f.lead_id, type: f.type, reason: f.reason, note: f.note, by: f.by_user, at: iso(f.at) })),
    identityLog: identity.map((i) => ({ kind: i.kind, leadId: i.lead_id, otherLeadId: i.other_lead_id, visitorId: i.visitor_id, detail: i.detail, at: iso(i.at) })),
    followUpBreaches: breaches.map((b) => ({ leadId: b.lead_id, qualifiedAt: iso(b.qualified_at), deadlineAt: iso(b.deadline_at), breachedAt: iso(b.breached_at) })),
    webhookDeliveries: deliveries.map((d) => ({
      id: d.id,
      type: d.event_type,
      status: d.status,
      createdAt: iso(d.created_at),
      payload: fromJson(d.payload),
      attempts: attempts.filter((a) => a.delivery_id === d.id).map((a) => ({ attempt: a.attempt, at: iso(a.at), statusCode: a.status_code, error: a.error })),
    })),
  };
}
