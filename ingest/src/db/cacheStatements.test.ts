import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheStatements } from './cacheStatements.js';

interface Db {
  t: { n: number };
}

let sqlite: SQLite.Database;
let prepared: string[];
let db: Kysely<Db>;

beforeEach(async () => {
  sqlite = new SQLite(':memory:');
  prepared = [];
  const prepare = sqlite.prepare.bind(sqlite);
  // Counts the real preparations behind the cache.
  (sqlite as any).prepare = (text: string) => (prepared.push(text), prepare(text));
  db = new Kysely<Db>({ dialect: new SqliteDialect({ database: cacheStatements(sqlite, 3) }) });
  await sql`create table t (n integer)`.execute(db);
  await db.insertInto('t').values([{ n: 1 }, { n: 2 }, { n: 3 }]).execute();
  prepared = [];
});

afterEach(async () => {
  await db.destroy();
});

describe('cacheStatements', () => {
  it('prepares a query once and gives the same answers each time it runs', async () => {
    for (const n of [1, 2, 3, 2]) {
      expect(await db.selectFrom('t').select('n').where('n', '=', n).execute()).toEqual([{ n }]);
    }
    expect(prepared).toHaveLength(1);
  });

  it('keeps only the most recently used statements', async () => {
    // Each limit is a literal in the SQL text here, so each is its own statement.
    const run = (limit: number) => sql`select n from t limit ${sql.lit(limit)}`.execute(db);
    for (const limit of [1, 2, 3, 1, 4]) await run(limit); // 4 evicts 2, the least recently used
    prepared = [];
    await run(1);
    await run(2);
    expect(prepared).toEqual(['select n from t limit 2']);
  });

  it('runs a query again after a stream of it was left half-read', async () => {
    const select = () => db.selectFrom('t').select('n').orderBy('n');
    for await (const row of select().stream()) if (row.n === 1) break;
    expect(await select().execute()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const streamed: number[] = [];
    for await (const row of select().stream()) streamed.push(row.n);
    expect(streamed).toEqual([1, 2, 3]);
  });
});
