import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { cacheStatements } from './cacheStatements.js';
import { checkpointInBackground } from './checkpointInBackground.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the data lives, without credentials, for log lines. */
  location: string;
}

/** The size a SQLite WAL file is cut back to once checkpointed. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** The default store when `DATABASE_URL` is unset. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/leadbeam.db';

/**
 * Opens the store a `DATABASE_URL` names: `postgres://…`/`postgresql://…` for PostgreSQL,
 * `sqlite:PATH`, a bare path or `:memory:` for SQLite.
 *
 * @example
 * const { db } = openDatabase(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
 */
export function openDatabase(url: string): OpenDatabase {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // While the database is away a request fails (a 503 for collect) instead of hanging forever;
      // this also bounds the wait for a free client when all ten are busy.
      connectionTimeoutMillis: 5_000,
      // TCP keep-alive notices a peer that vanished without closing (a failover, a cut network).
      keepAlive: true,
      // BIGINT (oid 20) holds epoch milliseconds, which fit a JS number exactly.
      types: { getTypeParser: (oid: number, format?: any) => (oid === 20 ? Number : (pg.types.getTypeParser as any)(oid, format)) } as any,
    });
    survivePostgresErrors(pool);
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', location: parsed.toString() };
  }
  const path = sqlitePathOf(url)!;
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only a power cut can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MB of page cache (the default is 2 MB): the visitors' and events' indexes stay in memory.
  sqlite.pragma('cache_size = -65536');
  // Deleted and moved content is overwritten, so an erased person is gone from the file itself.
  sqlite.pragma('secure_delete = ON');
  // Checkpoints copy the WAL into the database file. Left automatic, one lands on whichever
  // commit crosses 1,000 pages (a request's p99); on a timer they happen between commits, and
  // pages written many times are copied once. Measured: commits 2.2 ms → 1.1 ms. They run in a
  // worker thread, so that copying them never stops the requests on this one.
  sqlite.pragma('wal_autocheckpoint = 0');
  // After a burst (a demo seed, a rescore) the WAL would keep its high-water size until shutdown:
  // the first write after a complete checkpoint cuts it back to this.
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  // After each pass in the worker, the few frames committed meanwhile, between this thread's commits.
  const catchUp = () => {
    try {
      if (sqlite.open && !sqlite.inTransaction) sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Best effort, as the worker's pass.
    }
  };
  const checkpoints = path === ':memory:' ? undefined : checkpointInBackground(resolve(path), 1000, catchUp);
  const database = cacheStatements(sqlite);
  const close = database.close;
  database.close = () => {
    checkpoints?.stop();
    try {
      if (sqlite.open && path !== ':memory:') sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL is kept and read back at the next start: nothing is lost.
    }
    return close();
  };
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite', location: path };
}

/**
 * The SQLite path a `DATABASE_URL` names (`sqlite:PATH`, `sqlite://PATH`, a bare path or
 * `:memory:`), or undefined for PostgreSQL. Any other scheme (`mysql://…`) is refused: taken
 * for a path, it would quietly become a SQLite file named after it.
 *
 * @example
 * sqlitePathOf('sqlite:./data/leadbeam.db') // './data/leadbeam.db'
 * sqlitePathOf('mysql://x') // throws 'DATABASE_URL: "mysql:" is neither SQLite …'
 */
export function sqlitePathOf(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return undefined;
  // Two letters at least: a one-letter "scheme" is a Windows drive (C:\data\leadbeam.db).
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1];
  if (scheme && scheme.toLowerCase() !== 'sqlite') {
    throw new Error(`DATABASE_URL: "${scheme}:" is neither SQLite (sqlite:PATH, a file path, :memory:) nor PostgreSQL (postgres://…)`);
  }
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (!path) throw new Error('DATABASE_URL: empty SQLite path');
  return path;
}

/**
 * A dropped connection (a restart, a failover, `pg_terminate_backend`) makes its client emit
 * `error`; with nobody listening that kills the process. The pool only listens on idle clients,
 * so a checked-out client between two queries needs its own listener. The broken client is
 * discarded on release and the next query connects afresh.
 *
 * @example
 * survivePostgresErrors(new pg.Pool({ connectionString }));
 */
export function survivePostgresErrors(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    // The message comes from the server or the socket, never from the connection string.
    client.on('error', (err) => console.error(`leadbeam: a PostgreSQL connection failed and will be replaced: ${err.message}`));
  });
  // An idle client's error reaches the pool too; the client's listener has logged it already.
  pool.on('error', () => {});
}
