import { logger } from '../ops/logger.js';

/**
 * A background job that runs at once when kicked (right after a commit gave it work) and every
 * `pollMs` (for work other processes queued). Kicks during a run coalesce into one more pass;
 * `pass` says whether there may be more to do. Errors are logged, never thrown into the caller.
 *
 * @example
 * const loop = createJobLoop(async () => (await sendDue()) === BATCH, { pollMs: 1000, name: 'webhook delivery' });
 * loop.start();
 * loop.kick();
 */
export function createJobLoop(pass: () => Promise<boolean>, { pollMs, name }: { pollMs: number; name: string }) {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function runUntilDone() {
    do {
      again = false;
      if (await pass()) again = true;
    } while (again);
  }

  /** Runs now; concurrent calls share one run (and trigger one more pass). */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = runUntilDone()
      .catch((err) => logger.error({ err: err instanceof Error ? err.message : String(err), job: name }, 'background job failed'))
      .finally(() => (running = undefined));
    return running;
  }

  return {
    kick,
    /** Resolves once a run that started after the call has found nothing more to do. */
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

export type JobLoop = ReturnType<typeof createJobLoop>;
