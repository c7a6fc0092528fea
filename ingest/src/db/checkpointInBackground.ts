import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker: its own connection to the same file, running a passive checkpoint whenever asked.
 * Plain JavaScript evaluated in the worker, so it runs the same from the TypeScript sources and
 * from the compiled build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file, { fileMustExist: true });
parentPort.on('message', () => {
  let frames;
  try {
    // PASSIVE copies what it can without waiting for the writer or any reader. It copies the
    // frames there were when it began; commits meanwhile add more, and the WAL only starts
    // over once every frame is copied. So go again while it is behind: each pass is shorter.
    for (let pass = 0; pass < 8; pass++) {
      frames = db.pragma('wal_checkpoint(PASSIVE)')[0];
      if (frames.busy || frames.checkpointed >= frames.log) break;
    }
  } catch {
    // Best effort: a busy database is checkpointed on a later tick.
  }
  parentPort.postMessage(frames ?? null);
});
`;

/** One checkpoint's figures as SQLite reports them: WAL frames in all, and frames copied. */
export interface CheckpointFigures {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface BackgroundCheckpoints {
  /** Asks for a checkpoint now; resolves with its figures (undefined when it could not run). */
  checkpointNow(): Promise<CheckpointFigures | undefined>;
  /** Stops the timer and the worker; a checkpoint under way is finished by SQLite first. */
  stop(): void;
}

/**
 * Copies a SQLite WAL into the database file every `everyMs`, from a worker thread with its own
 * connection. better-sqlite3 runs a checkpoint on the thread that asks, and on the main thread
 * one that copies a busy second of commits stopped every request for tens of milliseconds (the
 * ingest's p99); in a worker the writer keeps committing while the pages are copied. Commits
 * that land meanwhile leave the WAL a few frames behind, and SQLite starts the WAL over only
 * once every frame is copied: `catchUp` (the writer's own short checkpoint, between its
 * commits) copies that remainder after each pass. The worker starts at the first tick, so a
 * database open for less than that never starts one.
 *
 * @example
 * const checkpoints = checkpointInBackground('/var/lib/leadbeam/leadbeam.db', 1000, () => sqlite.inTransaction || sqlite.pragma('wal_checkpoint(PASSIVE)'));
 * // … on close:
 * checkpoints.stop();
 */
export function checkpointInBackground(file: string, everyMs = 1000, catchUp?: () => void): BackgroundCheckpoints {
  /** The running worker and the calls waiting for its answers (each worker answers only its own). */
  let current: { worker: Worker; waiting: Array<(figures: CheckpointFigures | undefined) => void> } | undefined;
  let stopped = false;
  /** Workers that died in a row (the file removed under it): the next start waits that many ticks. */
  let failures = 0;
  let skip = 0;

  function ensureWorker() {
    if (current) return current;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } });
    worker.unref();
    const mine = { worker, waiting: [] as Array<(figures: CheckpointFigures | undefined) => void> };
    worker.on('message', (figures: CheckpointFigures | null) => {
      failures = 0;
      if (figures && !stopped) catchUp?.();
      mine.waiting.shift()?.(figures ?? undefined);
    });
    // A worker that died is started again later, each time after a longer pause.
    const forget = () => {
      if (current === mine) current = undefined;
      if (!stopped && mine.waiting.length) skip = Math.min(2 ** failures++, 60);
      mine.waiting.splice(0).forEach((done) => done(undefined));
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    current = mine;
    return mine;
  }

  function checkpointNow(): Promise<CheckpointFigures | undefined> {
    if (stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const { worker, waiting } = ensureWorker();
      waiting.push(resolve);
      worker.postMessage(0);
    });
  }

  // One at a time: a tick while a checkpoint still runs is skipped.
  const timer = setInterval(() => {
    if (skip > 0) return void skip--;
    if (!current?.waiting.length) void checkpointNow();
  }, everyMs);
  timer.unref();

  return {
    checkpointNow,
    stop() {
      stopped = true;
      clearInterval(timer);
      const last = current;
      current = undefined;
      void last?.worker.terminate();
      last?.waiting.splice(0).forEach((done) => done(undefined));
    },
  };
}
