import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { claimReplays, finishReplay } from './replayQueue.js';
import { replayQueuedSubject } from './replaySubject.js';
import { createJobLoop } from '../jobs/createJobLoop.js';

export interface ReplayWorkerOptions {
  db: Kysely<Database>;
  scorers: Map<string, Scorer>;
  now?: () => number;
  /** How often to look for work marked by other processes. */
  pollMs?: number;
  /** Called after a replay commits (its stage changes may have webhooks to send). */
  onCommitted?: () => void;
}

/**
 * Replays queued subjects (late events, new links of long histories) off the request path:
 * at once when kicked after a commit that queued some, and every `pollMs` for work queued by
 * other processes. Replays of one subject take its lock, so they never interleave with live
 * scoring of it.
 *
 * @example
 * const replayer = createReplayWorker({ db, scorers });
 * replayer.start();
 */
export function createReplayWorker({ db, scorers, now = Date.now, pollMs = 1000, onCommitted }: ReplayWorkerOptions) {
  /** One batch of queued subjects; true when there was work (there may be more). */
  async function replayDue(): Promise<boolean> {
    const items = await claimReplays(db, now());
    for (const item of items) {
      const scorer = scorers.get(item.site_id);
      if (scorer) await replayQueuedSubject(db, scorer, item, now());
      await finishReplay(db, item);
    }
    if (items.length) onCommitted?.();
    return items.length > 0;
  }

  return createJobLoop(replayDue, { pollMs, name: 'replay' });
}

export type ReplayWorker = ReturnType<typeof createReplayWorker>;
