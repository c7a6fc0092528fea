import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Database } from '../schema.js';
import { sqlitePathOf } from '../openDatabase.js';

/**
 * The worker: one read-only connection to the same SQLite file, answering one query at a time.
 * Plain JavaScript evaluated in the worker, so it runs the same from the TypeScript sources and
 * from the compiled build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -65536');
const statements = new Map();
parentPort.on('message', ({ id, sql, parameters }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size >= 500) statements.clear();
      statements.set(sql, statement);
    }
    if (!statement.reader) throw new Error('the report reader only reads: ' + sql.slice(0, 60));
    parentPort.postMessage({ id, rows: statement.all(...parameters) });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message || err), code: err && err.code } });
  }
});
`;

type Pending = { resolve: (rows: unknown[]) => void; reject: (err: Error) => void };

/** Kysely's driver for the worker: every query is a message; transactions do not exist here. */
class ReportReaderDriver implements Driver {
  #worker?: Worker;
  #pending = new Map<number, Pending>();
  #next = 0;
  #closed = false;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  /** The worker, started on first use and again after it died (its queries fail, later ones run). */
  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.#file, driver } });
    worker.unref();
    worker.on('message', ({ id, rows, error }: { id: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      if (!pending) return;
      if (error) pending.reject(Object.assign(new Error(error.message), { code: error.code }));
      else pending.resolve(rows!);
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the report reader stopped (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  query(compiled: CompiledQuery): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Error('the report reader is closed'));
    const worker = this.#ensureWorker();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ id, sql: compiled.sql, parameters: compiled.parameters });
      } catch (err) {
        // A parameter that cannot be sent to the worker.
        this.#pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return {
      executeQuery: async <R>(compiled: CompiledQuery): Promise<QueryResult<R>> => ({ rows: (await this.query(compiled)) as R[] }),
      streamQuery: () => {
        throw new Error('the report reader does not stream');
      },
    };
  }
  async beginTransaction() {
    throw new Error('the report reader only reads: no transactions');
  }
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }
}

/**
 * A read-only view of a SQLite database for the dashboard's and the API's reports, answered by
 * a worker thread with its own connection. better-sqlite3 runs a query on the thread that asks,
 * so a report scanning a million events on the main thread stops every request, beacons
 * included, until it ends (seconds at 100,000 leads); in a worker the server keeps answering.
 * SQLite's WAL lets the worker read while the writer commits, and each query sees what was
 * committed when it started. Undefined for PostgreSQL (its queries never block the process) and
 * for an in-memory database (which no other connection can open).
 *
 * @example
 * const reader = openReportReader('sqlite:./data/leadbeam.db');
 * const figures = await funnelFigures(reader ?? db, range);
 */
export function openReportReader(url: string): Kysely<Database> | undefined {
  const path = sqlitePathOf(url);
  if (path === undefined || path === ':memory:') return undefined;
  const driver = new ReportReaderDriver(resolve(path));
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return new Kysely<Database>({ dialect });
}
