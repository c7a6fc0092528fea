import { randomBytes } from 'node:crypto';
import { describe, beforeAll, afterAll, it } from 'vitest';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { openDatabase, type DialectName } from '../../ingest/src/db/openDatabase.js';
import { migrateToLatest } from '../../ingest/src/db/migrate.js';
import type { Database } from '../../ingest/src/db/schema.js';
import { mustRunEverything, warnSkipped } from './requirements.js';

/** The server the PostgreSQL suite runs on; each test file gets its own throwaway database there. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Why PostgreSQL cannot be used for tests here, or undefined when it can. */
export const pgProblem = await postgresProblem();

export interface TestDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** A database URL that opens the same data (for servers started by the test). */
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database of the given dialect: a temporary SQLite file, or a new
 * PostgreSQL database that `close()` drops.
 *
 * @example
 * const t = await createTestDatabase('postgres');
 */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const name = `lb_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const url = `sqlite:${process.env.TMPDIR ?? '/tmp'}/${name}.db`;
    const { db } = openDatabase(url);
    await migrateToLatest(db);
    const path = url.slice('sqlite:'.length);
    return {
      db,
      dialect,
      url,
      async close() {
        await db.destroy();
        const { rm } = await import('node:fs/promises');
        await Promise.all(['', '-wal', '-shm'].map((s) => rm(path + s, { force: true })));
      },
    };
  }
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const { db } = openDatabase(url.toString());
  await migrateToLatest(db);
  return {
    db,
    dialect,
    url: url.toString(),
    async close() {
      await db.destroy();
      const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await cleanup.connect();
      // The pool's promise resolves before its connections have closed. Dropping with FORCE
      // while one still closes terminates it, and its client then throws an unhandled error
      // into the test run: wait for them to go first (FORCE is left for any that never do).
      for (let i = 0; i < 100; i++) {
        const { rows } = await cleanup.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/**
 * Runs the same suite once over SQLite and once over PostgreSQL, each on a fresh database.
 * Without a reachable PostgreSQL the second run fails in CI and skips (saying why) elsewhere.
 *
 * @example
 * describeEachDialect('collect', (getDb) => { it('stores', async () => { const { db } = getDb(); … }); });
 */
export function describeEachDialect(name: string, suite: (getDb: () => TestDatabase) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (dialect === 'postgres' && pgProblem) {
      if (mustRunEverything) {
        describe(`${name} [postgres]`, () => {
          it('needs PostgreSQL', () => {
            throw new Error(`PostgreSQL is required here but ${TEST_POSTGRES_URL} is not reachable: ${pgProblem}`);
          });
        });
      } else {
        warnSkipped('the PostgreSQL suites', `${TEST_POSTGRES_URL} is not reachable (${pgProblem}). Start PostgreSQL or set TEST_POSTGRES_URL.`);
        describe.skip(`${name} [postgres]`, () => suite(() => undefined as never));
      }
      continue;
    }
    describe(`${name} [${dialect}]`, () => {
      let current: TestDatabase | undefined;
      beforeAll(async () => {
        current = await createTestDatabase(dialect);
      });
      afterAll(async () => {
        await current?.close();
      });
      suite(() => {
        if (!current) throw new Error('test database not ready');
        return current;
      });
    });
  }
}
