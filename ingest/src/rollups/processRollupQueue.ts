import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type { Database, EventsTable } from '../db/schema.js';
import { foldIntoRollups } from './foldIntoRollups.js';

/** The advisory lock that lets one process at a time change the rollups (PostgreSQL). */
const ROLLUP_LOCK = 0x6c62_726f;
const CHUNK = 500;

/**
 * Makes the transaction the only one changing the rollups: a member's days must be read and
 * rewritten by one writer at a time, whichever process. Waits for the lock, or with `wait:
 * false` says whether it got it. SQLite has one writer already.
 *
 * @example
 * await db.transaction().execute(async (trx) => { await lockRollups(trx); … });
 */
export async function lockRollups(trx: Kysely<Database>, { wait = true } = {}): Promise<boolean> {
  if (!isPostgres(trx)) return true;
  if (wait) {
    await sql`select pg_advisory_xact_lock(${sql.lit(ROLLUP_LOCK)})`.execute(trx);
    return true;
  }
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${sql.lit(ROLLUP_LOCK)}) as locked`.execute(trx);
  return rows[0]!.locked;
}

/**
 * Queues the events a commit stored for the rollups: one row a site, in the commit's own
 * transaction, so an event is folded in exactly when it is stored.
 *
 * @example
 * await queueForRollups(trx, insertedEvents, Date.now());
 */
export async function queueForRollups(trx: Kysely<Database>, events: Array<Pick<EventsTable, 'site_id' | 'id'>>, now: number): Promise<void> {
  const bySite = new Map<string, string[]>();
  for (const e of events) {
    if (!bySite.has(e.site_id)) bySite.set(e.site_id, []);
    bySite.get(e.site_id)!.push(e.id);
  }
  if (!bySite.size) return;
  await trx
    .insertInto('rollup_queue')
    .values([...bySite].map(([site_id, ids]) => ({ site_id, event_ids: JSON.stringify(ids), queued_at: now })))
    .execute();
}

/**
 * Folds up to `limit` queued commits into the rollups, inside a transaction that holds the
 * rollup lock. Events deleted since they were queued (an erasure) are simply not found.
 * Returns how many queued commits it folded.
 *
 * @example
 * while ((await foldQueued(trx, 50)) === 50);
 */
export async function foldQueued(trx: Kysely<Database>, limit: number): Promise<number> {
  const queued = await trx.selectFrom('rollup_queue').select(['seq', 'site_id', 'event_ids']).orderBy('seq').limit(limit).execute();
  if (!queued.length) return 0;
  const idsBySite = new Map<string, string[]>();
  for (const q of queued) {
    if (!idsBySite.has(q.site_id)) idsBySite.set(q.site_id, []);
    idsBySite.get(q.site_id)!.push(...(JSON.parse(q.event_ids) as string[]));
  }
  for (const [site, ids] of [...idsBySite].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const events = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      events.push(...(await trx.selectFrom('events').select(['visitor_id', 'ts', 'type', 'path', 'stage', 'category']).where('site_id', '=', site).where('id', 'in', ids.slice(i, i + CHUNK)).execute()));
    }
    await foldIntoRollups(trx, site, events, 1);
  }
  await trx.deleteFrom('rollup_queue').where('seq', 'in', queued.map((q) => q.seq)).execute();
  return queued.length;
}

/**
 * One pass of the rollup job: folds up to `limit` queued commits in one transaction. With
 * `wait: false` (the background job) it returns 0 at once when another process holds the lock;
 * with `wait: true` (a report catching up before it reads) it waits its turn.
 *
 * @example
 * await processRollupQueue(db, { limit: 50 });
 */
export async function processRollupQueue(db: Kysely<Database>, { limit = 50, wait = false }: { limit?: number; wait?: boolean } = {}): Promise<number> {
  return db.transaction().execute(async (trx) => ((await lockRollups(trx, { wait })) ? foldQueued(trx, limit) : 0));
}

/**
 * Folds what is queued, so a report that reads the rollups next sees every event committed
 * before it was asked for. Cheap when the background job keeps up: the queue holds about a
 * second of commits. A backlog (the job stopped for a while) is not the report's to clear: after
 * `maxPasses` passes it reads what is folded and leaves the rest to the job.
 *
 * @example
 * await catchUpRollups(db);
 * const figures = await periodVisitors(db, { site, fromDay, toDay });
 */
export async function catchUpRollups(db: Kysely<Database>, limit = 50, maxPasses = 20): Promise<void> {
  for (let pass = 0; pass < maxPasses && (await processRollupQueue(db, { limit, wait: true })) === limit; pass++);
}
