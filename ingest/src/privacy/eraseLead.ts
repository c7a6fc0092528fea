import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import { fromJson, toJson } from '../db/json.js';
import { markForReplay } from '../replay/replayQueue.js';
import type { Database } from '../db/schema.js';
import { newId } from '../ids.js';
import { lockLeads } from '../leads/leadStore.js';
import { markFirstTouchesChanged } from '../firstTouch/markFirstTouchesChanged.js';
import { logger } from '../ops/logger.js';
import { eraseUnlinked } from './eraseUnlinked.js';
import { personOf } from './personOf.js';
import { retractVisitors } from '../rollups/retractVisitors.js';
import { lockVisitorRows } from '../pipeline/visitorRows.js';

export interface ErasureReport extends Record<string, number> {
  leads: number;
  /** Browsers deleted: the person's, and those never linked to them left with nothing once the person's events went. */
  visitors: number;
  events: number;
  deliveries: number;
  /** Browsers never linked to the person that keep their other events (a shared computer), without the person's events and traits. */
  visitorsCleaned: number;
}

/**
 * Erases one person (a data subject's erasure request): the lead and the leads merged into it,
 * their browsers' visitors and events (of a browser later used by someone else, only the events
 * from the person's window), visits, score hits, stage history, feedback, trait history,
 * identity entries and claims, follow-up breaches and the webhook deliveries that name them.
 * Browsers never linked to the person (a link the guardrails refused, a form when no lead could
 * be made) lose the events naming the person's emails and the traits those gave; the rest of
 * such a browser stays, as anyone's anonymous history, or goes with them when nothing else is
 * left (`eraseUnlinked`). One transaction, under the leads' locks. On SQLite,
 * where deleted content is overwritten (`secure_delete`, set when the database is opened), the
 * WAL is then checkpointed and truncated, so the email is gone from the files, not only from
 * queries. What remains is an audit entry
 * without personal data: when, by whom, and how much was erased. Undefined when there is no
 * such lead.
 *
 * @example
 * const report = await eraseLead(db, 'ld_abc', { actor: 'admin', now: Date.now() });
 */
export async function eraseLead(db: Kysely<Database>, leadId: string, { actor, now }: { actor: string; now: number }): Promise<ErasureReport | undefined> {
  const sqlite = !isPostgres(db);
  const report = await db.transaction().execute(async (trx) => {
    const scope = await personOf(trx, leadId);
    if (!scope) return undefined;
    const { leadIds, siteId, currentVisitors, pastWindows, unlinked } = scope;
    // Earlier people on the person's browsers (a shared computer) lose the events of their
    // windows with the browser: their first touch and pages may move.
    const neighbours = currentVisitors.length
      ? (await trx.selectFrom('past_links').select('lead_id').distinct().where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).where('lead_id', 'not in', leadIds).execute()).map((r) => r.lead_id)
      : [];
    // So may the people a browser never linked to the person counts for, now or before (an
    // email typed on a colleague's computer): they are replayed without the person's events.
    const unlinkedIds = unlinked.map((u) => u.visitorId);
    const hosts = unlinked.some((u) => u.eventIds.length) ? await leadsOf(trx, siteId, unlinked.filter((u) => u.eventIds.length).map((u) => u.visitorId), leadIds) : [];
    // The person's browsers first, then every lead changed here in id order, as writers lock them:
    // a commit for one of these browsers waits for the erasure, so the browser's events are read,
    // deleted and taken out of the rollups all on one side of it.
    await lockVisitorRows(trx, siteId, [...currentVisitors, ...pastWindows.map((w) => w.visitorId), ...unlinkedIds]);
    await lockLeads(trx, [...leadIds, ...neighbours, ...hosts]);
    await markFirstTouchesChanged(trx, [...neighbours, ...hosts]);
    let events = 0;
    if (currentVisitors.length) {
      // The dashboard's rollups lose the browsers with their events.
      const deleted = await retractVisitors(trx, siteId, currentVisitors, () => trx.deleteFrom('events').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).executeTakeFirst());
      events += Number(deleted.numDeletedRows);
      await trx.deleteFrom('sessions').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute();
      await trx.deleteFrom('score_hits').where('subject', 'in', currentVisitors.map((v) => `visitor:${siteId}:${v}`)).execute();
      await trx.deleteFrom('visitors').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute();
      await trx.deleteFrom('lead_visitors').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute();
      await trx.deleteFrom('past_links').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute();
      await trx.deleteFrom('replay_queue').where('subject', 'in', currentVisitors.map((v) => `visitor:${siteId}:${v}`)).execute();
    }
    for (const w of pastWindows) {
      // A shared browser: the events of the person's window go; the next person's stay.
      const deleted = await retractVisitors(trx, siteId, [w.visitorId], () => trx.deleteFrom('events').where('site_id', '=', siteId).where('visitor_id', '=', w.visitorId).where('ts', '>=', w.fromTs).where('ts', '<', w.untilTs).executeTakeFirst());
      events += Number(deleted.numDeletedRows);
      // Its own score state carries the traits its forms gave: drop them now, and rescore it
      // from the events that remain off the request path.
      const visitor = await trx.selectFrom('visitors').select('score_state').where('site_id', '=', siteId).where('visitor_id', '=', w.visitorId).executeTakeFirst();
      if (visitor?.score_state) {
        const state = fromJson(visitor.score_state);
        await trx.updateTable('visitors').set({ score_state: toJson({ ...state, traits: {} }) }).where('site_id', '=', siteId).where('visitor_id', '=', w.visitorId).execute();
      }
    }
    if (pastWindows.length) await markForReplay(trx, pastWindows.map((w) => ({ kind: 'visitor' as const, site_id: siteId, subject_id: w.visitorId })), now);
    // Browsers never linked to the person: the events naming them, and what those gave.
    const stray = await eraseUnlinked(trx, siteId, unlinked, now);
    events += stray.events;
    if (hosts.length) await markForReplay(trx, hosts.map((id) => ({ kind: 'lead' as const, site_id: siteId, subject_id: id })), now);
    await trx.deleteFrom('past_links').where('lead_id', 'in', leadIds).execute();
    // The pages the person viewed (the neighbours' are rebuilt by the first-touch job: marked above).
    await trx.deleteFrom('lead_pages').where('site_id', '=', siteId).where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('score_hits').where('subject', 'in', leadIds.map((id) => `lead:${id}`)).execute();
    await trx.deleteFrom('stage_changes').where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('feedback').where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('identity_log').where((eb) => eb.or([eb('lead_id', 'in', leadIds), eb('other_lead_id', 'in', leadIds)])).execute();
    // Trait history holds the values themselves (phone, company, job title) and the browser
    // that sent them; claims and follow-up breaches name the lead.
    await trx.deleteFrom('trait_changes').where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('identity_claims').where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('follow_up_breaches').where('lead_id', 'in', leadIds).execute();
    if (currentVisitors.length) {
      // What the person's browsers did to other leads (a refused claim of another email) names
      // those browsers, which are gone now.
      await trx.deleteFrom('identity_log').where('site_id', '=', siteId).where('visitor_id', 'in', currentVisitors).execute();
      await trx.deleteFrom('trait_changes').where('visitor_id', 'in', currentVisitors).execute();
    }
    const deliveries = await trx.selectFrom('webhook_deliveries').select('id').where('lead_id', 'in', leadIds).execute();
    if (deliveries.length) await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries.map((d) => d.id)).execute();
    await trx.deleteFrom('webhook_deliveries').where('lead_id', 'in', leadIds).execute();
    await trx.deleteFrom('replay_queue').where('subject', 'in', leadIds.map((id) => `lead:${id}`)).execute();
    await trx.deleteFrom('leads').where('id', 'in', leadIds).execute();
    const result: ErasureReport = { leads: leadIds.length, visitors: currentVisitors.length + stray.removed.length, events, deliveries: deliveries.length, visitorsCleaned: stray.kept.length };
    // The audit entry names the erased lead only by its opaque id, which nothing else holds now.
    await trx.insertInto('audit_log').values({ id: newId('au'), at: now, actor, action: 'lead.erased', subject: leadId, detail: toJson({ ...result }) }).execute();
    return result;
  });
  if (sqlite && report) await truncateWal(db);
  return report;
}

/** The other leads some browsers count for, now or in an earlier link. */
async function leadsOf(trx: Kysely<Database>, siteId: string, visitorIds: string[], except: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (let i = 0; i < visitorIds.length; i += 500) {
    const chunk = visitorIds.slice(i, i + 500);
    for (const r of await trx.selectFrom('lead_visitors').select('lead_id').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute()) found.add(r.lead_id);
    for (const r of await trx.selectFrom('past_links').select('lead_id').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute()) found.add(r.lead_id);
  }
  return [...found].filter((id) => !except.includes(id));
}

/**
 * Copies the WAL into the database file and empties it, so the erased values leave the WAL
 * file too. A reader still inside the WAL (a report in the worker thread, `db/reportReader/`)
 * holds it: rather than wait on the server's thread, try again every second, off the request
 * path, until it is done.
 */
async function truncateWal(db: Kysely<Database>, attempt = 0): Promise<void> {
  let busy = 0;
  await sql`PRAGMA busy_timeout = 0`.execute(db);
  try {
    busy = Number((await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db)).rows[0]?.busy ?? 0);
  } finally {
    await sql`PRAGMA busy_timeout = 5000`.execute(db);
  }
  if (!busy) return;
  if (attempt >= 600) {
    logger.warn({ attempts: attempt + 1 }, 'the WAL could not be emptied after an erasure: a reader held it for ten minutes');
    return;
  }
  setTimeout(() => void truncateWal(db, attempt + 1).catch((err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'emptying the WAL after an erasure failed')), 1000).unref();
}
