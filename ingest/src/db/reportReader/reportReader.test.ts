import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../../../test/support/databases.js';
import { makeEvent, postBatch, testApp } from '../../../../test/support/ingest.js';
import { funnelFigures } from '../../reports/funnelFigures.js';
import { pageTraffic } from '../../reports/pageTraffic.js';
import { openReportReader } from './openReportReader.js';
import { eraseLead } from '../../privacy/eraseLead.js';
import { existsSync, readFileSync } from 'node:fs';

const DAY = 86_400_000;

describe('report reader (SQLite)', () => {
  let test: TestDatabase;
  let reader: NonNullable<ReturnType<typeof openReportReader>>;
  beforeAll(async () => {
    test = await createTestDatabase('sqlite');
    reader = openReportReader(test.url)!;
  });
  afterAll(async () => {
    await reader?.destroy();
    await test.close();
  });

  it('answers reports as the main connection does, and sees what was committed since it started', async () => {
    const now = Date.now();
    // Up to a day ahead: the events are stamped when made, after the first report, which on a
    // busy machine (a reader thread starting) can itself take over a second.
    const range = { site: 'demo', from: now - 30 * DAY, to: now + DAY };
    expect(await pageTraffic(reader, range)).toEqual({ pages: [], groups: [], more: false });
    const v = { visitorId: 'v_reader', sessionId: 's_reader' };
    const res = await postBatch(testApp(test.db), { events: [makeEvent({ ...v, path: '/pricing', url: 'http://localhost:3000/pricing' }), makeEvent({ ...v, path: '/blog/a', url: 'http://localhost:3000/blog/a' })] });
    expect(res.status).toBe(200);
    const traffic = await pageTraffic(reader, range);
    expect(traffic.pages.map((p) => [p.path, p.views, p.visitors]).sort()).toEqual([
      ['/blog/a', 1, 1],
      ['/pricing', 1, 1],
    ]);
    expect(traffic).toEqual(await pageTraffic(test.db, range));
    expect(await funnelFigures(reader, range)).toEqual(await funnelFigures(test.db, range));
  });

  it('only reads: statements that change data and transactions are refused', async () => {
    await expect(reader.deleteFrom('events').execute()).rejects.toThrow(/only reads/);
    await expect(sql`PRAGMA journal_mode = DELETE`.execute(reader)).rejects.toThrow();
    await expect(reader.transaction().execute(async () => {})).rejects.toThrow(/no transactions/);
    expect((await test.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n).toBe(2);
  });

  it('keeps the server’s thread free while a long query runs', async () => {
    // A query that takes a while: the thread that asked must go on running (a timer fires first).
    const order: string[] = [];
    const long = sql<{ n: number }>`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000) SELECT count(*) AS n FROM c`
      .execute(reader)
      .then((r) => order.push(`query ${r.rows[0]!.n}`));
    await new Promise((r) => setTimeout(r, 1));
    order.push('timer');
    await long;
    expect(order).toEqual(['timer', 'query 3000000']);
  });

  it('does not hold up an erasure: the WAL is emptied of the erased email once a report reading it ends', async () => {
    const email = 'erase-me@reader.example';
    const v = { visitorId: 'v_erase_reader', sessionId: 's_erase_reader' };
    await postBatch(testApp(test.db), { events: [makeEvent({ ...v, type: 'form', name: 'contact', path: '/contact', url: 'http://localhost:3000/contact', traits: { email } })] });
    const { id } = await test.db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const wal = test.url.slice('sqlite:'.length) + '-wal';
    // A report that reads the database (so it holds the WAL) for a couple of seconds: long enough
    // (20 million rows, about 2 s; 8 million took under 1 s) that a slow erasure on a busy
    // machine still ends well before it.
    const started = performance.now();
    const long = sql`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000000) SELECT count(*) AS n FROM c, (SELECT count(*) FROM events)`
      .execute(reader)
      .then(() => performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
    const erasing = performance.now();
    expect(await eraseLead(test.db, id, { actor: 'test', now: Date.now() })).toMatchObject({ leads: 1 });
    const erasure = performance.now() - erasing;
    const report = await long;
    // The erasure answered while the report still read: it did not wait for the WAL.
    expect(report).toBeGreaterThan(erasure + 500);
    // Retried every second until the report has let go of the WAL.
    for (let i = 0; i < 50 && (existsSync(wal) ? readFileSync(wal).includes(email) : false); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(wal) && readFileSync(wal).includes(email)).toBe(false);
    expect(readFileSync(test.url.slice('sqlite:'.length)).includes(email)).toBe(false);
  });

  it('is not used for PostgreSQL or an in-memory database', () => {
    expect(openReportReader(TEST_POSTGRES_URL)).toBeUndefined();
    expect(openReportReader('sqlite::memory:')).toBeUndefined();
  });
});
