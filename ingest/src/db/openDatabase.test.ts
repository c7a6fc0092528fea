import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { openDatabase, WAL_SIZE_LIMIT_BYTES } from './openDatabase.js';

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

it('a SQLite WAL grown by a burst of writes is cut back to its limit once the timer has checkpointed it', async () => {
  const file = join(dir, 'burst.db');
  const { db } = openDatabase(`sqlite:${file}`);
  const walSize = () => statSync(`${file}-wal`).size;
  try {
    await sql`create table t (b blob)`.execute(db);
    // One transaction writing 8 MB more than the limit, in 1 MB rows.
    const rows = WAL_SIZE_LIMIT_BYTES / 2 ** 20 + 8;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows; i++) await sql`insert into t values (randomblob(${2 ** 20}))`.execute(trx);
    });
    expect(walSize()).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
    // The one-second timer checkpoints; the next write starts the WAL over and cuts the file.
    await new Promise((r) => setTimeout(r, 1300));
    await sql`insert into t values (x'00')`.execute(db);
    expect(walSize()).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n).toBe(rows + 1);
  } finally {
    await db.destroy();
  }
});
