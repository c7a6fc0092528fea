import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import { processRollupQueue } from './processRollupQueue.js';

/**
 * Folds committed events into the dashboard's daily rollups off the request path: when kicked
 * after commits, and every `pollMs` for what other processes queued. One process at a time
 * folds (the others skip their pass while it holds the lock).
 *
 * @example
 * const rollups = createRollupWorker({ db });
 * rollups.start();
 */
export function createRollupWorker({ db, pollMs = 1000, batch = 50 }: { db: Kysely<Database>; pollMs?: number; batch?: number }) {
  return createJobLoop(async () => (await processRollupQueue(db, { limit: batch })) === batch, { pollMs, name: 'daily rollups' });
}

export type RollupWorker = ReturnType<typeof createRollupWorker>;
