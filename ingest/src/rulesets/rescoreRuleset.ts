import type { Kysely } from 'kysely';
import { rescoreAll } from '../admin/rescore.js';
import { fromJson, toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { logger } from '../ops/logger.js';
import { createScorer } from '../scoring/engine.js';

/** How long a claimed rescore stays with its process without news; renewed after every page. */
export const RESCORE_LEASE_MS = 120_000;

class Superseded extends Error {}

/**
 * Rescores every lead of a version's site under that version, off the request path, if this
 * process is the one to claim it: the claim is one conditional update (pending, or running
 * with a lapsed lease because its process died), so of several processes exactly one runs it.
 * Progress (leads done, moves up and down) is stored after every page; a version no longer in
 * effect stops (`superseded`: the newer one's rescore replays every lead anyway). Resolves
 * with false when someone else has it. Never throws: a failure is stored on the version.
 *
 * @example
 * void rescoreRuleset(db, ruleset.id, { onCommitted: () => dispatcher.kick() });
 */
export async function rescoreRuleset(db: Kysely<Database>, rulesetId: string, { now = Date.now, onCommitted }: { now?: () => number; onCommitted?: () => void } = {}): Promise<boolean> {
  const started = now();
  const claimed = await db
    .updateTable('ruleset_versions')
    .set({ rescore_state: 'running', rescore_claimed_until: started + RESCORE_LEASE_MS, rescore_started_at: started, rescore_error: null })
    .where('id', '=', rulesetId)
    .where((eb) => eb.or([eb('rescore_state', '=', 'pending'), eb.and([eb('rescore_state', '=', 'running'), eb('rescore_claimed_until', '<', started)])]))
    .executeTakeFirst();
  if (!Number(claimed.numUpdatedRows)) return false;
  const row = await db.selectFrom('ruleset_versions').selectAll().where('id', '=', rulesetId).executeTakeFirstOrThrow();
  const site = row.site_id;
  const stillInEffect = async () => (await db.selectFrom('rulesets_in_effect').select('ruleset_id').where('site_id', '=', site).executeTakeFirst())?.ruleset_id === rulesetId;
  const finish = (set: { rescore_state: 'done' | 'failed' | 'superseded'; rescore_error?: string | null }) =>
    db.updateTable('ruleset_versions').set({ ...set, rescore_claimed_until: null, rescore_finished_at: now() }).where('id', '=', rulesetId).execute();
  try {
    if (!(await stillInEffect())) throw new Superseded();
    const total = Number((await db.selectFrom('leads').select((eb) => eb.fn.countAll().as('n')).where('site_id', '=', site).where('merged_into', 'is', null).executeTakeFirstOrThrow()).n);
    const progress = (p: { leads: number; events: number; up: number; down: number }) =>
      db.updateTable('ruleset_versions').set({ rescore_report: toJson({ total, ...p }), rescore_claimed_until: now() + RESCORE_LEASE_MS }).where('id', '=', rulesetId).execute();
    await progress({ leads: 0, events: 0, up: 0, down: 0 });
    const scorers = new Map([[site, createScorer(fromJson(row.rules))]]);
    const report = await rescoreAll(db, scorers, {
      now,
      site,
      onProgress: async ({ leads, events, stageChanges }) => {
        await progress({ leads, events, ...stageChanges });
        if (stageChanges.up + stageChanges.down) onCommitted?.();
        if (!(await stillInEffect())) throw new Superseded();
      },
    });
    await progress({ leads: report.leads, events: report.events, ...report.stageChanges });
    await finish({ rescore_state: 'done' });
  } catch (err) {
    if (err instanceof Superseded) await finish({ rescore_state: 'superseded' }).catch(() => {});
    else {
      logger.error({ err: err instanceof Error ? err.message : String(err), ruleset: rulesetId }, 'rescore failed');
      await finish({ rescore_state: 'failed', rescore_error: err instanceof Error ? err.message : String(err) }).catch(() => {});
    }
  }
  onCommitted?.();
  return true;
}
