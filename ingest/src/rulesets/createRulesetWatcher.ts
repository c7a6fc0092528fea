import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import type { Scorer } from '../scoring/engine.js';
import { applyRulesetsInEffect } from './applyRulesetsInEffect.js';
import { rescoreRuleset } from './rescoreRuleset.js';

export interface RulesetWatcherOptions {
  db: Kysely<Database>;
  /** The registry every part of this process scores with: changed in place. */
  scorers: Map<string, Scorer>;
  now?: () => number;
  /** How often to compare the versions in effect with this process's (a publish elsewhere shows within this). */
  pollMs?: number;
  /** How often to look for rescores nobody runs (queued at start, or whose process died). */
  rescorePollMs?: number;
  /** Called when a rescore may have queued webhook deliveries. */
  onCommitted?: () => void;
}

/**
 * Two background loops of every ingest process: one makes the registry follow the versions in
 * effect (published by any process, or imported at start), the other runs rescores that no
 * process has claimed (or whose process died), one at a time. A long rescore never delays
 * picking up a new version.
 *
 * @example
 * const watcher = createRulesetWatcher({ db, scorers, onCommitted: () => dispatcher.kick() });
 * watcher.start();
 */
export function createRulesetWatcher({ db, scorers, now = Date.now, pollMs = 2000, rescorePollMs = 5000, onCommitted }: RulesetWatcherOptions) {
  const versions = createJobLoop(
    async () => {
      await applyRulesetsInEffect(db, scorers);
      return false;
    },
    { pollMs, name: 'rule set versions' },
  );
  const rescores = createJobLoop(
    async () => {
      const t = now();
      const due = await db
        .selectFrom('ruleset_versions')
        .select('id')
        .where((eb) => eb.or([eb('rescore_state', '=', 'pending'), eb.and([eb('rescore_state', '=', 'running'), eb('rescore_claimed_until', '<', t)])]))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!due) return false;
      // Whether or not this process won the claim, look again: there may be another.
      await rescoreRuleset(db, due.id, { now, onCommitted });
      return true;
    },
    { pollMs: rescorePollMs, name: 'rule set rescore' },
  );
  return {
    start() {
      versions.start();
      rescores.start();
    },
    /** Looks for a new version (and a rescore to run) now. */
    async kick() {
      await versions.kick();
      void rescores.kick();
    },
    /** Resolves once nothing is left to do (tests). */
    async drain() {
      await versions.drain();
      await rescores.drain();
    },
    async stop() {
      await versions.stop();
      await rescores.stop();
    },
  };
}

export type RulesetWatcher = ReturnType<typeof createRulesetWatcher>;
