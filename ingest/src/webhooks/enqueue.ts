import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import type { StageChange } from '../scoring/scoreEvents.js';
import { newId } from '../scoring/scoreEvents.js';

export const WEBHOOK_EVENTS = ['lead.created', 'lead.mql', 'lead.sql', 'lead.stage_changed', 'lead.recycled', 'lead.merged'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The webhook events a stage change raises. */
export function eventsFor(change: Pick<StageChange, 'from' | 'to'>): WebhookEvent[] {
  const types: WebhookEvent[] = ['lead.stage_changed'];
  if (change.from === 'visitor' && change.to === 'lead') types.push('lead.created');
  if (change.to === 'mql') types.push('lead.mql');
  if (change.to === 'sql') types.push('lead.sql');
  if (change.to === 'recycled') types.push('lead.recycled');
  return types;
}

/**
 * Stores a delivery for every webhook that wants one of these stage changes, in the caller's
 * transaction: the change and its deliveries commit together, before anything is sent.
 */
export async function enqueueStageChanges(trx: Kysely<Database>, leadId: string, changes: StageChange[], source: string, now: number) {
  const lead = await trx.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirst();
  if (!lead) return;
  const hooks = await trx
    .selectFrom('webhooks')
    .selectAll()
    .where((eb) => eb.or([eb('site_id', '=', lead.site_id), eb('site_id', 'is', null)]))
    .execute();
  if (!hooks.length) return;
  const topReasons = await trx
    .selectFrom('score_hits')
    .select(['rule_id', 'points'])
    .where('subject', '=', `lead:${leadId}`)
    .orderBy('points', 'desc')
    .limit(3)
    .execute();
  const rows = [];
  // A feedback that keeps the stage (contacted) is in the history, but it is no stage change.
  for (const change of changes.filter((c) => c.from !== c.to)) {
    for (const type of eventsFor(change)) {
      for (const hook of hooks.filter((h) => (JSON.parse(h.events) as string[]).includes(type))) {
        const id = newId('dl');
        const payload = {
          id,
          type,
          createdAt: new Date(now).toISOString(),
          site: lead.site_id,
          lead: {
            id: lead.id,
            email: lead.email,
            stage: change.to,
            traits: JSON.parse(lead.traits),
            score: { engagement: change.engagement, fit: change.fit, total: Math.round((change.engagement + change.fit) * 100) / 100 },
            url: `/v1/leads/${lead.id}`,
          },
          change: { from: change.from, to: change.to, cause: change.cause, source, at: new Date(change.at).toISOString() },
          topReasons: topReasons.map((r) => ({ rule: r.rule_id, points: r.points })),
        };
        rows.push({ id, webhook_id: hook.id, event_type: type, lead_id: lead.id, payload: JSON.stringify(payload), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now, delivered_at: null });
      }
    }
  }
  if (rows.length) await trx.insertInto('webhook_deliveries').values(rows).execute();
}

/** Stores `lead.merged` deliveries: `mergedId` now answers as `survivorId`. */
export async function enqueueMerge(trx: Kysely<Database>, survivorId: string, mergedId: string, now: number) {
  const lead = await trx.selectFrom('leads').selectAll().where('id', '=', survivorId).executeTakeFirstOrThrow();
  const hooks = (await trx.selectFrom('webhooks').selectAll().where((eb) => eb.or([eb('site_id', '=', lead.site_id), eb('site_id', 'is', null)])).execute()).filter((h) =>
    (JSON.parse(h.events) as string[]).includes('lead.merged'),
  );
  for (const hook of hooks) {
    const id = newId('dl');
    const payload = {
      id,
      type: 'lead.merged',
      createdAt: new Date(now).toISOString(),
      site: lead.site_id,
      lead: { id: lead.id, email: lead.email, stage: lead.stage, traits: JSON.parse(lead.traits), url: `/v1/leads/${lead.id}` },
      merge: { survivor: survivorId, merged: mergedId },
    };
    await trx.insertInto('webhook_deliveries').values({ id, webhook_id: hook.id, event_type: 'lead.merged', lead_id: lead.id, payload: JSON.stringify(payload), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now, delivered_at: null }).execute();
  }
}

/**
 * Makes the config file's webhooks (per site) rows of the webhooks table, with ids derived
 * from their content, so deliveries can refer to them and survive restarts.
 */
export async function syncConfigWebhooks(db: Kysely<Database>, config: LeadbeamConfig) {
  for (const site of config.sites) {
    for (const hook of site.webhooks) {
      const id = 'wh_cfg_' + createHash('sha256').update(`${site.key}\u0000${hook.url}\u0000${hook.events.join(',')}`).digest('hex').slice(0, 16);
      await db
        .insertInto('webhooks')
        .values({ id, site_id: site.key, url: hook.url, secret: hook.secret, events: JSON.stringify(hook.events), created_at: Date.now() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ secret: hook.secret }))
        .execute();
    }
  }
}
