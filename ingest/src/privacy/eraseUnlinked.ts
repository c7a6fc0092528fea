import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { markForReplay } from '../replay/replayQueue.js';
import { retractVisitors } from '../rollups/retractVisitors.js';
import type { UnlinkedBrowser } from './personOf.js';

/** Ids a statement takes at once: far below either dialect's limit on parameters. */
const CHUNK = 500;

const chunks = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

export interface UnlinkedErasure {
  /** Events deleted: those naming the person. */
  events: number;
  /** Browsers deleted whole: nothing of theirs remained, and no lead has them. */
  removed: string[];
  /** Browsers kept with their other events, without the person's events and traits. */
  kept: string[];
}

/**
 * Takes the person out of browsers never linked to them (`PersonScope.unlinked`), inside the
 * erasure's transaction and under its locks: the events naming the person go (out of the
 * rollups too), with the browser's score hits on them and the visits left empty; the traits
 * its forms gave leave its score state, which the replay worker then rebuilds from the events
 * that remain (another person's, on a shared computer). A browser left with no event that no
 * lead has, now or before, goes whole: nothing in it is anyone's any more.
 *
 * @example
 * const { events, removed, kept } = await eraseUnlinked(trx, 'demo', scope.unlinked, Date.now());
 */
export async function eraseUnlinked(trx: Kysely<Database>, siteId: string, unlinked: UnlinkedBrowser[], now: number): Promise<UnlinkedErasure> {
  if (!unlinked.length) return { events: 0, removed: [], kept: [] };
  const ids = unlinked.map((u) => u.visitorId);
  const subject = (visitorId: string) => `visitor:${siteId}:${visitorId}`;
  const naming = unlinked.filter((u) => u.eventIds.length);
  let events = 0;
  if (naming.length) {
    events = await retractVisitors(trx, siteId, naming.map((u) => u.visitorId), async () => {
      let deleted = 0;
      for (const chunk of chunks(naming.flatMap((u) => u.eventIds))) {
        deleted += Number((await trx.deleteFrom('events').where('site_id', '=', siteId).where('id', 'in', chunk).executeTakeFirst()).numDeletedRows);
      }
      return deleted;
    });
    for (const u of naming) {
      for (const chunk of chunks(u.eventIds)) await trx.deleteFrom('score_hits').where('subject', '=', subject(u.visitorId)).where('event_id', 'in', chunk).execute();
    }
  }
  const remaining = new Set<string>();
  const linked = new Set<string>();
  for (const chunk of chunks(ids)) {
    for (const r of await trx.selectFrom('events').select('visitor_id').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).groupBy('visitor_id').execute()) remaining.add(r.visitor_id);
    for (const r of await trx.selectFrom('lead_visitors').select('visitor_id').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute()) linked.add(r.visitor_id);
    for (const r of await trx.selectFrom('past_links').select('visitor_id').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute()) linked.add(r.visitor_id);
  }
  const removed = ids.filter((v) => !remaining.has(v) && !linked.has(v));
  const kept = ids.filter((v) => remaining.has(v) || linked.has(v));
  for (const chunk of chunks(removed)) {
    await trx.deleteFrom('sessions').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute();
    await trx.deleteFrom('score_hits').where('subject', 'in', chunk.map(subject)).execute();
    await trx.deleteFrom('replay_queue').where('subject', 'in', chunk.map(subject)).execute();
    await trx.deleteFrom('visitors').where('site_id', '=', siteId).where('visitor_id', 'in', chunk).execute();
  }
  const keptSet = new Set(kept);
  for (const u of unlinked.filter((b) => keptSet.has(b.visitorId))) {
    // The visits of the deleted events, when nothing else of them is left.
    for (const chunk of chunks(u.sessionIds)) {
      const left = new Set(
        (await trx.selectFrom('events').select('session_id').where('site_id', '=', siteId).where('visitor_id', '=', u.visitorId).where('session_id', 'in', chunk).groupBy('session_id').execute()).map((r) => r.session_id),
      );
      const empty = chunk.filter((s) => !left.has(s));
      if (empty.length) await trx.deleteFrom('sessions').where('site_id', '=', siteId).where('visitor_id', '=', u.visitorId).where('session_id', 'in', empty).execute();
    }
    const visitor = await trx.selectFrom('visitors').select('score_state').where('site_id', '=', siteId).where('visitor_id', '=', u.visitorId).executeTakeFirst();
    if (visitor?.score_state) {
      const state = fromJson(visitor.score_state);
      await trx.updateTable('visitors').set({ score_state: toJson({ ...state, traits: {} }) }).where('site_id', '=', siteId).where('visitor_id', '=', u.visitorId).execute();
    }
  }
  if (kept.length) await markForReplay(trx, kept.map((v) => ({ kind: 'visitor' as const, site_id: siteId, subject_id: v })), now);
  return { events, removed, kept };
}
