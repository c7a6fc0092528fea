import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from './openDatabase.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a SQLite transaction left open across the one-second checkpoint timer neither fails nor ends the process', async () => {
  const { db } = openDatabase(`sqlite:${join(dir, 'open.db')}`);
  const uncaught: unknown[] = [];
  const onError = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onError);
  try {
    await sql`create table t (n integer)`.execute(db);
    // A transaction that waits on something outside the database (a timer here) while open.
    await db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await new Promise((r) => setTimeout(r, 1300));
      await sql`insert into t values (2)`.execute(trx);
    });
    // The skipped checkpoint is retried once the transaction has ended.
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught).toEqual([]);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n).toBe(2);
  } finally {
    process.off('uncaughtException', onError);
    await db.destroy();
  }
});
