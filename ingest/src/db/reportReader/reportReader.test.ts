import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../../../test/support/databases.js';
import { makeEvent, postBatch, testApp } from '../../../../test/support/ingest.js';
import { funnelFigures } from '../../reports/funnelFigures.js';
import { pageTraffic } from '../../reports/pageTraffic.js';
import { openReportReader } from './openReportReader.js';

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
    const range = { site: 'demo', from: now - 30 * DAY, to: now + 1000 };
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

  it('is not used for PostgreSQL or an in-memory database', () => {
    expect(openReportReader(TEST_POSTGRES_URL)).toBeUndefined();
    expect(openReportReader('sqlite::memory:')).toBeUndefined();
  });
});
