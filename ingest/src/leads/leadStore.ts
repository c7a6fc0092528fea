import { sql, type Kysely, type Selectable } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import { fromJson, toJson } from '../db/json.js';
import type { ChangeSource, Database, LeadsTable } from '../db/schema.js';
import { changeId } from '../ids.js';
import type { RuleHit, ScoredEvent, ScoreState, Scorer } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import { toScoredEvent, type StageChange } from '../scoring/runLead.js';
import { enqueueStageChanges } from '../webhooks/outbox.js';
import { normaliseEmail } from './email.js';

export type Lead = Selectable<LeadsTable>;

/** A stage change of one lead, as stored and as the outbox reports it. */
export interface LeadStageChange extends StageChange {
  leadId: string;
  source: ChangeSource;
  ruleVersion: string;
}

export const leadSubject = (leadId: string) => `lead:${leadId}`;
export const visitorSubject = (site: string, visitorId: string) => `visitor:${site}:${visitorId}`;

/** Rows a multi-row statement takes at once: well under both dialects' bound-parameter limits. */
const CHUNK = 500;
const chunks = <T>(rows: T[], size = CHUNK) => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));

/**
 * Reads leads and, on PostgreSQL, locks them until the transaction ends, always in id order, so
 * that concurrent writers (in this process or another) queue instead of losing updates or
 * deadlocking. A merged lead's survivor is locked too.
 *
 * @example
 * const leads = await lockLeads(trx, ['ld_a', 'ld_b']);
 */
export async function lockLeads(trx: Kysely<Database>, ids: Iterable<string>): Promise<Map<string, Lead>> {
  const found = new Map<string, Lead>();
  let wanted = [...new Set(ids)].sort();
  const locking = isPostgres(trx);
  for (let hops = 0; wanted.length && hops < 10; hops++) {
    let q = trx.selectFrom('leads').selectAll().where('id', 'in', wanted).orderBy('id');
    if (locking) q = q.forUpdate();
    const rows = await q.execute();
    for (const row of rows) found.set(row.id, row);
    wanted = [...new Set(rows.flatMap((r) => (r.merged_into && !found.has(r.merged_into) ? [r.merged_into] : [])))].sort();
  }
  return found;
}

/** The lead a lead id stands for now: itself, or the lead it was merged into. */
export function survivorOf(leads: Map<string, Lead>, id: string): Lead | undefined {
  let lead = leads.get(id);
  for (let hops = 0; lead?.merged_into && hops < 10; hops++) lead = leads.get(lead.merged_into);
  return lead;
}

/** Every event that counts for a lead, in scoring order: each linked visitor's events from its link's start, and those of earlier links within their time ranges. `limit` stops reading early. */
export async function eventsOfLead(trx: Kysely<Database>, lead: { id: string; site_id: string; email: string }, limit?: number): Promise<ScoredEvent[]> {
  const current = await trx.selectFrom('lead_visitors').select(['visitor_id', 'from_ts', 'owns_traits']).where('lead_id', '=', lead.id).execute();
  const past = await trx.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts', 'owns_traits']).where('lead_id', '=', lead.id).execute();
  if (!current.length && !past.length) return [];
  let q = trx
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
    .orderBy('id');
  if (limit !== undefined) q = q.limit(limit);
  // A claimant's events (while it was linked, now or before) only fill traits the lead's own browsers left unknown.
  const claims = [...current.map((l) => ({ ...l, until_ts: Infinity })), ...past].filter((l) => l.owns_traits !== 1);
  const claimed = (row: { visitor_id: string; ts: number }) => claims.some((l) => l.visitor_id === row.visitor_id && row.ts >= l.from_ts && row.ts < l.until_ts);
  const emails = (await emailsOfLeads(trx, [lead])).get(lead.id)!;
  return (await q.execute()).map((row) => asLeadEvent(toScoredEvent(row), (email) => emails.has(email), claimed(row)));
}

/**
 * The emails that name each lead: its own and those of the leads merged into it (through
 * chains of merges), whose forms still count for it.
 *
 * @example
 * const emails = (await emailsOfLeads(trx, [lead])).get(lead.id); // Set { 'ana@…', 'ana.k@…' }
 */
export async function emailsOfLeads(trx: Kysely<Database>, leads: Array<{ id: string; email: string }>): Promise<Map<string, Set<string>>> {
  const emails = new Map(leads.map((l) => [l.id, new Set([l.email])]));
  // Each merged lead points at the lead it was merged into, which may itself have been merged.
  const rootOf = new Map(leads.map((l) => [l.id, l.id]));
  let frontier = leads.map((l) => l.id);
  for (let hop = 0; hop < 10 && frontier.length; hop++) {
    const merged = await trx.selectFrom('leads').select(['id', 'email', 'merged_into']).where('merged_into', 'in', frontier).execute();
    for (const m of merged) {
      const root = rootOf.get(m.merged_into!)!;
      rootOf.set(m.id, root);
      emails.get(root)!.add(m.email);
    }
    frontier = merged.map((m) => m.id);
  }
  return emails;
}

/**
 * An event as it counts for a lead's traits: a claimant's only fill what is unknown, and one
 * naming another person's email (a form whose lead could not be made or linked) gives the lead
 * none of them; `namesLead` says which emails are the lead's (its own, those of leads merged
 * into it). A copy when it differs: the visitor's own scoring keeps the event whole.
 *
 * @example
 * asLeadEvent(form, (email) => email === 'ana@fernhill.example', false) // form, or form without traits if it names bo@…
 */
export function asLeadEvent(e: ScoredEvent, namesLead: (email: string) => boolean, claimant: boolean): ScoredEvent {
  const named = normaliseEmail(e.traits?.email);
  if (named && !namesLead(named)) return { ...e, traits: null };
  return claimant ? { ...e, claimant: true } : e;
}

/** Every event of one visitor, in scoring order; `limit` stops reading early. */
export async function eventsOfVisitor(trx: Kysely<Database>, site: string, visitorId: string, limit?: number): Promise<ScoredEvent[]> {
  let q = trx.selectFrom('events').selectAll().where('site_id', '=', site).where('visitor_id', '=', visitorId).orderBy('ts').orderBy('id');
  if (limit !== undefined) q = q.limit(limit);
  return (await q.execute()).map(toScoredEvent);
}

/** Stores rule hits in multi-row statements; a hit stored before (a retry) is kept once. */
export async function insertHits(trx: Kysely<Database>, hits: Array<RuleHit & { subject: string }>) {
  for (const chunk of chunks(hits)) {
    await trx
      .insertInto('score_hits')
      .values(chunk.map((h) => ({ subject: h.subject, event_id: h.eventId, rule_id: h.ruleId, points: h.points, ts: h.ts })))
      .onConflict((oc) => oc.columns(['subject', 'event_id', 'rule_id']).doNothing())
      .execute();
  }
}

/**
 * When sales last sent the lead back to nurture (their feedback: a rescore that returned it
 * there is no new decision, and must not move the point its history is judged from).
 */
export async function recycledSince(trx: Kysely<Database>, leadId: string): Promise<number> {
  const change = await trx
    .selectFrom('stage_changes')
    .select('at')
    .where('lead_id', '=', leadId)
    .where('to_stage', '=', 'recycled')
    .where('cause', 'like', 'feedback:%')
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return change?.at ?? 0;
}

/**
 * Records stage changes and, in the same transaction, hands them to the webhook outbox: a
 * change and its deliveries commit together, before anything is sent. Each change carries its
 * lead's site, and a handover to sales is marked with the lead's first feedback at or after it
 * (normally none yet; a replay can put a handover before feedback already given) and the
 * time of the lead's previous handover; the leads' unanswered handovers are marked awaiting an
 * answer while the lead is MQL or SQL. The reports read handovers, their answers, open MQLs and
 * distinct MQLs by site and time alone (migration 018).
 *
 * @example
 * await recordStageChanges(trx, [{ leadId, from: 'lead', to: 'mql', at, cause: 'threshold:mql', engagement: 40, fit: 15, source: 'scoring', ruleVersion }], Date.now());
 */
export async function recordStageChanges(trx: Kysely<Database>, changes: LeadStageChange[], now: number) {
  if (!changes.length) return;
  for (const chunk of chunks(changes)) {
    await trx
      .insertInto('stage_changes')
      .values(
        chunk.map((c) => {
          const handover = reachedBits(c) & 1;
          return {
            id: changeId(c.at),
            lead_id: c.leadId,
            from_stage: c.from,
            to_stage: c.to,
            at: c.at,
            cause: c.cause,
            source: c.source,
            engagement: c.engagement,
            fit: c.fit,
            rule_version: c.ruleVersion,
            // Looked up inside the statement (by primary key and by the feedback_lead index):
            // callers hold the leads' locks but not always their rows.
            site_id: trx.selectFrom('leads').select('leads.site_id').where('leads.id', '=', c.leadId),
            handover,
            first_answer_at: handover
              ? trx
                  .selectFrom('feedback')
                  .select((eb) => eb.fn.min('feedback.at').as('first'))
                  .where('feedback.lead_id', '=', c.leadId)
                  .where('feedback.at', '>=', c.at)
              : null,
          };
        }),
      )
      .execute();
  }
  // Each handover's previous one of its lead, recomputed for the leads handed over here (a
  // replay can record a handover before one already stored): a period's distinct MQLs are
  // then its handovers whose previous one is before it.
  const handedOver = [...new Set(changes.filter((c) => reachedBits(c) & 1).map((c) => c.leadId))];
  for (const chunk of chunks(handedOver)) {
    await trx
      .updateTable('stage_changes')
      .set((eb) => ({
        prev_handover_at: eb
          .selectFrom('stage_changes as p')
          .select((p) => p.fn.max('p.at').as('prev'))
          .whereRef('p.lead_id', '=', 'stage_changes.lead_id')
          .where('p.handover', '=', 1)
          .where((p) => p.or([p('p.at', '<', p.ref('stage_changes.at')), p.and([p('p.at', '=', p.ref('stage_changes.at')), p('p.id', '<', p.ref('stage_changes.id'))])])),
      }))
      .where('stage_changes.lead_id', 'in', chunk)
      .where('stage_changes.handover', '=', 1)
      .execute();
  }
  // Whether sales owes the leads' unanswered handovers an answer: while the lead is MQL or SQL
  // after these changes (each lead's last one here is its stage now). A lead created here and
  // not MQL or SQL has no handover awaiting (the new rows' default): no statement for it, so a
  // commit creating leads pays nothing.
  const stageNow = new Map<string, Stage>();
  const created = new Set<string>();
  for (const c of changes) {
    stageNow.set(c.leadId, c.to);
    if (c.from === 'visitor') created.add(c.leadId);
  }
  for (const awaiting of [0, 1]) {
    const ids = [...stageNow].filter(([id, stage]) => Number(stage === 'mql' || stage === 'sql') === awaiting && !(awaiting === 0 && created.has(id))).map(([id]) => id);
    for (const chunk of chunks(ids)) {
      await trx
        .updateTable('stage_changes')
        .set({ awaiting })
        .where('lead_id', 'in', chunk)
        .where('handover', '=', 1)
        .where('first_answer_at', 'is', null)
        .where('awaiting', '<>', awaiting)
        .execute();
    }
  }
  // How far each lead has come, kept on the lead for the reports (`reached`): bits only ever added.
  const leadsByBits = new Map<number, string[]>();
  const bitsOf = new Map<string, number>();
  for (const c of changes) bitsOf.set(c.leadId, (bitsOf.get(c.leadId) ?? 0) | reachedBits(c));
  for (const [leadId, bits] of bitsOf) if (bits) leadsByBits.set(bits, [...(leadsByBits.get(bits) ?? []), leadId]);
  for (const [bits, ids] of leadsByBits) {
    for (const chunk of chunks(ids)) await trx.updateTable('leads').set({ reached: sql<number>`reached | ${bits}` }).where('id', 'in', chunk).execute();
  }
  await enqueueStageChanges(trx, changes, now);
}

/**
 * The milestones a stage change reaches, as the bits of `leads.reached`: 1 a handover to sales
 * (scoring, live or in a rescore, taking a lead from below MQL to MQL or SQL: the follow-up
 * agreement's handover), 2 SQL, 4 customer.
 *
 * @example
 * reachedBits({ from: 'lead', to: 'sql', source: 'scoring' }) // 3
 */
export function reachedBits(c: Pick<LeadStageChange, 'from' | 'to' | 'source'>): number {
  const handover = (c.to === 'mql' || c.to === 'sql') && (c.from === 'visitor' || c.from === 'lead' || c.from === 'recycled') && (c.source === 'scoring' || c.source === 'rescore');
  return (handover ? 1 : 0) | (c.to === 'sql' ? 2 : 0) | (c.to === 'customer' ? 4 : 0);
}

/** A lead's row after scoring: state, scores as stored (before decay), stage and traits. */
export function scoredLead(lead: Lead, scorer: Scorer, state: ScoreState, stage: Stage, now: number): Lead {
  // A lead's email trait is the email that names it: no event's (a merged lead's, a mistyped
  // identify's) replaces it.
  const fit = scorer.fitHits(state.traits).reduce((a, h) => a + h.points, 0);
  const traits = { ...fromJson(lead.traits), ...state.traits, email: lead.email };
  return { ...lead, score_state: toJson(state), engagement: state.engagement, engagement_at: state.at, fit, stage, traits: toJson(traits), rule_version: scorer.version, updated_at: now };
}

/**
 * Writes scored leads back in one statement per chunk (an upsert of rows that exist: the one
 * multi-row update both dialects spell alike). The caller holds their locks.
 */
export async function saveLeads(trx: Kysely<Database>, leads: Lead[]) {
  for (const chunk of chunks(leads)) {
    await trx
      .insertInto('leads')
      // The search text is the database's own (a generated column).
      .values(chunk.map(({ search_text: _generated, ...lead }) => lead))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          score_state: eb.ref('excluded.score_state'),
          engagement: eb.ref('excluded.engagement'),
          engagement_at: eb.ref('excluded.engagement_at'),
          fit: eb.ref('excluded.fit'),
          stage: eb.ref('excluded.stage'),
          traits: eb.ref('excluded.traits'),
          rule_version: eb.ref('excluded.rule_version'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
