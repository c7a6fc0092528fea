import Database from 'better-sqlite3';
import pg from 'pg';
import { expect, it } from 'vitest';
import { isDatabaseUnavailable } from './isDatabaseUnavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

it('takes the database being away for now (network, restart, failover, a lock held too long) as unavailable', () => {
  for (const err of [
    Object.assign(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), { syscall: 'connect' }),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('sorry, too many clients already', '53300'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    withCode('database is locked', 'SQLITE_BUSY'),
    Object.assign(new Error('query failed'), { cause: Object.assign(withCode('read ECONNRESET', 'ECONNRESET'), { syscall: 'read' }) }),
    withCode('database is locked', 'SQLITE_BUSY_SNAPSHOT'),
  ]) expect(isDatabaseUnavailable(err), err.message).toBe(true);
});

it('takes bugs and bad statements as what they are: not a reason to retry', () => {
  for (const err of [
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'),
    withCode('syntax error at or near "FROM"', '42601'),
    withCode('UNIQUE constraint failed: leads.email', 'SQLITE_CONSTRAINT_UNIQUE'),
    new TypeError("Cannot read properties of undefined (reading 'id')"),
    // A client that aborts its own upload: the body read fails, the database is fine.
    withCode('aborted', 'ECONNRESET'),
    'a string thrown',
    undefined,
  ]) expect(isDatabaseUnavailable(err), String(err)).toBe(false);
});

it('recognises what the drivers really throw when nothing listens and when SQLite is locked', async () => {
  // Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:9/test', connectionTimeoutMillis: 2000 });
  const refused = await client.connect().then(() => undefined, (err: unknown) => err);
  expect(isDatabaseUnavailable(refused)).toBe(true);

  const path = `${process.env.TMPDIR ?? '/tmp'}/lb_locked_${process.pid}_${Date.now()}.db`;
  const holder = new Database(path);
  const other = new Database(path, { timeout: 0 });
  try {
    holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)');
    let locked: unknown;
    try {
      other.prepare('INSERT INTO t VALUES (2)').run();
    } catch (err) {
      locked = err;
    }
    expect(isDatabaseUnavailable(locked)).toBe(true);
  } finally {
    holder.close();
    other.close();
    const { rmSync } = await import('node:fs');
    for (const s of ['', '-wal', '-shm', '-journal']) rmSync(path + s, { force: true });
  }
});
