import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { createJobLoop } from '../jobs/createJobLoop.js';
import { refreshFirstTouches } from './refreshFirstTouches.js';

/**
 * Keeps every lead's stored first touch current off the request path: runs when kicked after a
 * commit that changed leads, and every `pollMs` for leads other processes changed.
 *
 * @example
 * const touches = createFirstTouchWorker({ db });
 * touches.start();
 */
export function createFirstTouchWorker({ db, pollMs = 2000, batch = 500 }: { db: Kysely<Database>; pollMs?: number; batch?: number }) {
  return createJobLoop(async () => (await refreshFirstTouches(db, batch)) === batch, { pollMs, name: 'first touch' });
}

export type FirstTouchWorker = ReturnType<typeof createFirstTouchWorker>;
