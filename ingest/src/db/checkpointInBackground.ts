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
    // PASSIVE copies what it can without waiting for the writer or any reader.
    frames = db.pragma('wal_checkpoint(PASSIVE)')[0];
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
 * ingest's p99); in a worker the writer keeps committing while the pages are copied. The
 * worker starts at the first tick, so a database open for less than that never starts one.
 *
 * @example
 * const checkpoints = checkpointInBackground('/var/lib/leadbeam/leadbeam.db');
 * // … on close:
 * checkpoints.stop();
 */
export function checkpointInBackground(file: string, everyMs = 1000): BackgroundCheckpoints {
  let worker: Worker | undefined;
  let waiting: Array<(figures: CheckpointFigures | undefined) => void> = [];
  let stopped = false;

  function ensureWorker(): Worker {
    if (worker) return worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } });
    started.unref();
    started.on('message', (figures: CheckpointFigures | null) => waiting.shift()?.(figures ?? undefined));
    // A worker that died (the file removed under it) is started again at the next tick.
    const forget = () => {
      if (worker === started) worker = undefined;
      waiting.splice(0).forEach((done) => done(undefined));
    };
    started.on('error', forget);
    started.on('exit', forget);
    worker = started;
    return started;
  }

  function checkpointNow(): Promise<CheckpointFigures | undefined> {
    if (stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      waiting.push(resolve);
      ensureWorker().postMessage(0);
    });
  }

  // One at a time: a tick while a checkpoint still runs is skipped.
  const timer = setInterval(() => void (waiting.length === 0 && checkpointNow()), everyMs);
  timer.unref();

  return {
    checkpointNow,
    stop() {
      stopped = true;
      clearInterval(timer);
      void worker?.terminate();
      worker = undefined;
      waiting.splice(0).forEach((done) => done(undefined));
    },
  };
}
