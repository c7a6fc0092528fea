import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type { Database, ReplayQueueTable } from '../db/schema.js';

export type ReplayItem = Pick<ReplayQueueTable, 'kind' | 'site_id' | 'subject_id'>;

const subjectOf = (i: ReplayItem) => (i.kind === 'lead' ? `lead:${i.subject_id}` : `visitor:${i.site_id}:${i.subject_id}`);

/**
 * Marks subjects for a replay off the request path. Marks coalesce: a subject marked a
 * thousand times before the worker gets to it is replayed once.
 *
 * @example
 * await markForReplay(trx, [{ kind: 'lead', site_id: 'demo', subject_id: lead.id }], Date.now());
 */
export async function markForReplay(trx: Kysely<Database>, items: ReplayItem[], now: number) {
  const unique = [...new Map(items.map((i) => [subjectOf(i), i])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (!unique.length) return;
  await trx
    .insertInto('replay_queue')
    .values(unique.map(([subject, i]) => ({ subject, ...i, requested_at: now, claimed_until: null })))
    .onConflict((oc) => oc.column('subject').doUpdateSet((eb) => ({ requested_at: eb.ref('excluded.requested_at'), claimed_until: null })))
    .execute();
}

/**
 * Takes up to `limit` queued subjects for `leaseMs`: nobody else takes them meanwhile (on
 * PostgreSQL `FOR UPDATE SKIP LOCKED`, so any number of processes share the queue).
 */
export async function claimReplays(db: Kysely<Database>, now: number, { limit = 20, leaseMs = 60_000 } = {}): Promise<ReplayQueueTable[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('replay_queue')
      .selectAll()
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('requested_at')
      .limit(limit);
    if (isPostgres(trx)) q = q.forUpdate().skipLocked();
    const rows = await q.execute();
    if (rows.length) await trx.updateTable('replay_queue').set({ claimed_until: now + leaseMs }).where('subject', 'in', rows.map((r) => r.subject)).execute();
    return rows;
  });
}

/** Removes a replayed subject, unless it was marked again after the claim (then it runs again). */
export async function finishReplay(db: Kysely<Database>, item: Pick<ReplayQueueTable, 'subject' | 'requested_at'>) {
  await db.deleteFrom('replay_queue').where('subject', '=', item.subject).where('requested_at', '=', item.requested_at).execute();
}
