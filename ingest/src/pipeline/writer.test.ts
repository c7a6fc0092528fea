import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { makeEvent, newId, postBatch, testApp, testConfig } from '../../../test/support/ingest.js';
import { createApp, createScorers } from '../app.js';
import { TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import { createEventWriter } from './createEventWriter.js';

describeEachDialect('write pipeline', (getDb) => {
  const count = async (visitorIds: string[]) =>
    Number((await getDb().db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('visitor_id', 'in', visitorIds).executeTakeFirstOrThrow()).n);

  it('commits concurrent requests together, in far fewer transactions than requests, and answers each only once its events are stored', async () => {
    const writer = createEventWriter({ db: getDb().db, scorers: createScorers(testConfig), windowMs: 5 });
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, writer });
    const visitors = Array.from({ length: 60 }, () => 'v_' + newId());
    const responses = await Promise.all(
      visitors.map(async (visitorId) => {
        const res = await postBatch(app, { events: [makeEvent({ visitorId }), makeEvent({ visitorId, path: '/pricing' })] });
        // A 2xx promises the events are committed: they must be readable the moment it arrives.
        return { status: res.status, stored: await count([visitorId]) };
      }),
    );
    expect(responses.every((r) => r.status === 200 && r.stored === 2)).toBe(true);
    expect(writer.stats.requests).toBe(60);
    expect(writer.stats.groups).toBeLessThanOrEqual(20);
  });

  it('fails exactly the request whose event the database refuses, with 503 and Retry-After; the others in its group are stored', async () => {
    const { db, dialect } = getDb();
    // A stand-in for any value the database refuses at commit time.
    if (dialect === 'sqlite') {
      await sql`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.name = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`.execute(db);
    } else {
      await sql`CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(db);
      await sql`CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()`.execute(db);
    }
    try {
      const writer = createEventWriter({ db, scorers: createScorers(testConfig), windowMs: 20 });
      const app = createApp({ db, config: testConfig, secretKey: TEST_SECRET_KEY, writer });
      const visitors = Array.from({ length: 12 }, () => 'v_' + newId());
      const results = await Promise.all(
        visitors.map((visitorId, i) => postBatch(app, { events: [makeEvent({ visitorId }), ...(i === 5 ? [makeEvent({ visitorId, type: 'track', name: 'poison' })] : [])] })),
      );
      expect(results.map((r) => r.status)).toEqual(visitors.map((_, i) => (i === 5 ? 503 : 200)));
      expect(results[5]!.headers.get('retry-after')).toBeTruthy();
      expect((await results[5]!.json()).error).toMatchObject({ code: 'unavailable' });
      expect(await count(visitors.filter((_, i) => i !== 5))).toBe(11);
      expect(await count([visitors[5]!])).toBe(0);
      expect(writer.stats.groups).toBeLessThan(12);
    } finally {
      await sql`DROP TRIGGER poison${sql.raw(dialect === 'postgres' ? ' ON events' : '')}`.execute(db);
      if (dialect === 'postgres') await sql`DROP FUNCTION poison()`.execute(db);
    }
  });

  it('commits what is queued on close, and refuses new work after it with 503', async () => {
    const writer = createEventWriter({ db: getDb().db, scorers: createScorers(testConfig), windowMs: 50 });
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, writer });
    const visitorId = 'v_' + newId();
    const pending = postBatch(app, { events: [makeEvent({ visitorId })] });
    for (let i = 0; writer.depth === 0 && i < 1000; i++) await new Promise((r) => setTimeout(r, 1));
    await writer.close();
    expect((await pending).status).toBe(200);
    expect(await count([visitorId])).toBe(1);
    const late = await postBatch(app, { events: [makeEvent()] });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBeTruthy();
  });
});
