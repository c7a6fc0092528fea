import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import { checkFollowUps } from './checkFollowUps.js';

/**
 * The background job of every ingest process that raises `lead.sla_breached` for MQLs sales
 * left unanswered past the follow-up agreement: every `pollMs` (15 s: a breach goes out well
 * within a minute of its deadline). Processes race safely: each breach is claimed once.
 *
 * @example
 * const followUps = createFollowUpChecker({ db, config, onRaised: () => dispatcher.kick() });
 * followUps.start();
 */
export function createFollowUpChecker({ db, config, now = Date.now, pollMs = 15_000, onRaised }: { db: Kysely<Database>; config: LeadbeamConfig; now?: () => number; pollMs?: number; onRaised?: () => void }) {
  return createJobLoop(
    async () => {
      if (await checkFollowUps(db, config, now())) onRaised?.();
      return false;
    },
    { pollMs, name: 'follow-up agreements' },
  );
}
