import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { addCounts, foldIntoRollups, type RollupEvent } from './foldIntoRollups.js';
import { foldQueued, lockRollups } from './processRollupQueue.js';

const CHUNK = 500;
const DAY_MS = 86_400_000;

/** The browsers' events, one row for alike events of a day (what the rollups read, counted): bounded by days and pages, not events. */
const eventsOf = async (trx: Kysely<Database>, site: string, visitorIds: string[]): Promise<RollupEvent[]> => {
  const events: RollupEvent[] = [];
  const day = sql<number | string>`(ts / ${sql.lit(DAY_MS)})`;
  for (let i = 0; i < visitorIds.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('events')
      .select(['visitor_id', 'type', 'path', 'stage', 'category', day.as('day'), sql<number | string>`count(*)`.as('n')])
      .where('site_id', '=', site)
      .where('visitor_id', 'in', visitorIds.slice(i, i + CHUNK))
      .groupBy(['visitor_id', 'type', 'path', 'stage', 'category', day])
      .execute();
    for (const r of rows) events.push({ visitor_id: r.visitor_id, type: r.type, path: r.path, stage: r.stage, category: r.category, ts: Number(r.day) * DAY_MS, n: Number(r.n) });
  }
  return events;
};

/**
 * Deletes events of some browsers (`deleteEvents`, an erasure or retention) and keeps the
 * rollups exact: inside the caller's transaction, with the rollup lock, whatever is queued is
 * folded first (so nothing deleted is folded later or subtracted twice), the browsers' page
 * views and member rows are taken out, the events deleted, and whatever of theirs remains (a
 * shared browser keeps the next person's events) folded back in. The browsers' ids leave the
 * rollups with them: nothing there outlives their events.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   retractVisitors(trx, 'demo', ['v_1'], () => trx.deleteFrom('events').where('visitor_id', '=', 'v_1').execute()));
 */
export async function retractVisitors<T>(trx: Kysely<Database>, site: string, visitorIds: string[], deleteEvents: () => Promise<T>): Promise<T> {
  if (!visitorIds.length) return deleteEvents();
  await lockRollups(trx);
  while ((await foldQueued(trx, 50)) === 50);
  await foldIntoRollups(trx, site, await eventsOf(trx, site, visitorIds), -1);
  for (let i = 0; i < visitorIds.length; i += CHUNK) {
    const ids = visitorIds.slice(i, i + CHUNK);
    const rows = await trx.selectFrom('rollup_members').select(['kind', 'dim', 'day', 'prev_day']).where('site_id', '=', site).where('member', 'in', ids).execute();
    const deltas = new Map<string, { kind: (typeof rows)[number]['kind']; dim: string; day: number; prev_day: number; members: number }>();
    for (const r of rows) {
      const k = JSON.stringify([r.kind, r.dim, r.day, r.prev_day]);
      const d = deltas.get(k);
      if (d) d.members--;
      else deltas.set(k, { kind: r.kind, dim: r.dim, day: Number(r.day), prev_day: Number(r.prev_day), members: -1 });
    }
    await addCounts(trx, site, [...deltas.values()]);
    await trx.deleteFrom('rollup_members').where('site_id', '=', site).where('member', 'in', ids).execute();
  }
  const result = await deleteEvents();
  await foldIntoRollups(trx, site, await eventsOf(trx, site, visitorIds), 1);
  return result;
}
