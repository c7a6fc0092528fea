import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { claimReplays, finishReplay } from './replayQueue.js';
import { replayQueuedSubject } from './replaySubject.js';

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
  let running: Promise<number> | undefined;
  let again = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function replayDue(): Promise<number> {
    let done = 0;
    do {
      again = false;
      const items = await claimReplays(db, now());
      for (const item of items) {
        const scorer = scorers.get(item.site_id);
        if (scorer) done += await replayQueuedSubject(db, scorer, item, now());
        await finishReplay(db, item);
      }
      if (items.length) {
        again = true;
        onCommitted?.();
      }
    } while (again);
    return done;
  }

  /** Replays what is queued now; concurrent calls share one run (and trigger one more pass). */
  function kick(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = replayDue()
      .catch((err) => {
        console.error('leadbeam: replay failed', err);
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  }

  return {
    kick,
    /** Resolves once the queue this process can see is empty (tests, shutdown). */
    async drain() {
      while (running) await running;
      return kick();
    },
    start() {
      timer ??= setInterval(() => void kick(), pollMs);
      timer.unref?.();
      void kick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type ReplayWorker = ReturnType<typeof createReplayWorker>;
