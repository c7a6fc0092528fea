import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/json.js';
import type { ChangeSource, Database, WebhookDeliveriesTable } from '../db/schema.js';
import { newId } from '../ids.js';
import type { Stage } from '../scoring/lifecycle.js';
import { eventsFor } from './events.js';

/** What the outbox needs of a stage change (the leads module's `LeadStageChange`). */
export interface ReportedChange {
  leadId: string;
  from: Stage;
  to: Stage;
  at: number;
  cause: string;
  source: ChangeSource;
  engagement: number;
  fit: number;
}

const pending = (id: string, webhookId: string, type: string, leadId: string, payload: object, now: number): WebhookDeliveriesTable => ({
  id,
  webhook_id: webhookId,
  event_type: type,
  lead_id: leadId,
  payload: toJson(payload),
  status: 'pending',
  attempts: 0,
  next_attempt_at: now,
  created_at: now,
  delivered_at: null,
});

async function hooksOf(trx: Kysely<Database>, sites: string[]) {
  const hooks = await trx
    .selectFrom('webhooks')
    .selectAll()
    .where((eb) => eb.or([eb('site_id', 'in', sites), eb('site_id', 'is', null)]))
    .execute();
  return hooks.map((h) => ({ ...h, types: new Set(fromJson(h.events)) }));
}

/**
 * Stores a delivery for every webhook that wants one of these stage changes, in the caller's
 * transaction (the outbox pattern): the changes and their deliveries commit together, before
 * anything is sent, and the dispatcher sends what is stored.
 *
 * @example
 * await enqueueStageChanges(trx, changes, Date.now());
 */
export async function enqueueStageChanges(trx: Kysely<Database>, changes: ReportedChange[], now: number) {
  // A feedback that keeps the stage (contacted) is in the history, but it is no stage change.
  const moves = changes.filter((c) => c.from !== c.to);
  if (!moves.length) return;
  const leadIds = [...new Set(moves.map((c) => c.leadId))];
  const leads = new Map((await trx.selectFrom('leads').selectAll().where('id', 'in', leadIds).execute()).map((l) => [l.id, l]));
  const hooks = await hooksOf(trx, [...new Set([...leads.values()].map((l) => l.site_id))]);
  if (!hooks.length) return;
  const rows: WebhookDeliveriesTable[] = [];
  const reasons = new Map<string, Array<{ rule: string; points: number }>>();
  for (const change of moves) {
    const lead = leads.get(change.leadId);
    if (!lead) continue;
    for (const type of eventsFor(change)) {
      for (const hook of hooks.filter((h) => h.types.has(type) && (h.site_id === null || h.site_id === lead.site_id))) {
        if (!reasons.has(lead.id)) {
          // Stage changes are rare beside events: one small query per lead that has one.
          const top = await trx.selectFrom('score_hits').select(['rule_id', 'points']).where('subject', '=', `lead:${lead.id}`).orderBy('points', 'desc').orderBy('rule_id').limit(3).execute();
          reasons.set(lead.id, top.map((r) => ({ rule: r.rule_id, points: r.points })));
        }
        const id = newId('dl');
        rows.push(
          pending(id, hook.id, type, lead.id, {
            id,
            type,
            createdAt: new Date(now).toISOString(),
            site: lead.site_id,
            lead: {
              id: lead.id,
              email: lead.email,
              stage: change.to,
              traits: fromJson(lead.traits),
              score: { engagement: change.engagement, fit: change.fit, total: Math.round((change.engagement + change.fit) * 100) / 100 },
              url: `/v1/leads/${lead.id}`,
            },
            change: { from: change.from, to: change.to, cause: change.cause, source: change.source, at: new Date(change.at).toISOString() },
            topReasons: reasons.get(lead.id),
          }, now),
        );
      }
    }
  }
  for (let i = 0; i < rows.length; i += 500) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 500)).execute();
}

/**
 * Stores `lead.merged` deliveries: `mergedId` now answers as `survivorId`.
 *
 * @example
 * await enqueueMerge(trx, survivor.id, merged.id, Date.now());
 */
export async function enqueueMerge(trx: Kysely<Database>, survivorId: string, mergedId: string, now: number) {
  const lead = await trx.selectFrom('leads').selectAll().where('id', '=', survivorId).executeTakeFirstOrThrow();
  const hooks = (await hooksOf(trx, [lead.site_id])).filter((h) => h.types.has('lead.merged'));
  const rows = hooks.map((hook) => {
    const id = newId('dl');
    return pending(id, hook.id, 'lead.merged', lead.id, {
      id,
      type: 'lead.merged',
      createdAt: new Date(now).toISOString(),
      site: lead.site_id,
      lead: { id: lead.id, email: lead.email, stage: lead.stage, traits: fromJson(lead.traits), url: `/v1/leads/${lead.id}` },
      merge: { survivor: survivorId, merged: mergedId },
    }, now);
  });
  if (rows.length) await trx.insertInto('webhook_deliveries').values(rows).execute();
}

/** What a `lead.sla_breached` delivery says about the missed follow-up. */
export interface SlaBreach {
  leadId: string;
  /** When the lead was handed to sales (qualified). */
  qualifiedAt: number;
  /** When the agreement's time ran out. */
  deadlineAt: number;
  responseMinutes: number;
}

/**
 * Stores `lead.sla_breached` deliveries for an MQL sales did not answer in time, in the
 * caller's transaction (the one that claimed the breach, so it is raised once).
 *
 * @example
 * await enqueueSlaBreach(trx, { leadId, qualifiedAt, deadlineAt, responseMinutes: 60 }, Date.now());
 */
export async function enqueueSlaBreach(trx: Kysely<Database>, breach: SlaBreach, now: number) {
  const lead = await trx.selectFrom('leads').selectAll().where('id', '=', breach.leadId).executeTakeFirst();
  if (!lead) return;
  const hooks = (await hooksOf(trx, [lead.site_id])).filter((h) => h.types.has('lead.sla_breached'));
  const rows = hooks.map((hook) => {
    const id = newId('dl');
    return pending(id, hook.id, 'lead.sla_breached', lead.id, {
      id,
      type: 'lead.sla_breached',
      createdAt: new Date(now).toISOString(),
      site: lead.site_id,
      lead: { id: lead.id, email: lead.email, stage: lead.stage, traits: fromJson(lead.traits), url: `/v1/leads/${lead.id}` },
      followUp: {
        qualifiedAt: new Date(breach.qualifiedAt).toISOString(),
        deadline: new Date(breach.deadlineAt).toISOString(),
        responseMinutes: breach.responseMinutes,
      },
    }, now);
  });
  if (rows.length) await trx.insertInto('webhook_deliveries').values(rows).execute();
}
