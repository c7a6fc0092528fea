import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { createApp } from '../app.js';
import { openDatabase } from '../db/openDatabase.js';
import type { Database } from '../db/schema.js';

const INSTANCES = 4;

/**
 * Several ingest instances on one database, as several processes behind a load balancer: on
 * PostgreSQL each with its own connection pool; SQLite is one process, so its instances share
 * the one connection.
 */
describeEachDialect('exact under concurrency', (getDb) => {
  const pools: Array<Kysely<Database>> = [];
  beforeAll(() => {
    for (let i = 0; i < INSTANCES; i++) pools.push(getDb().dialect === 'postgres' ? openDatabase(getDb().url).db : getDb().db);
  });
  afterAll(async () => {
    if (getDb().dialect === 'postgres') await Promise.all(pools.map((p) => p.destroy()));
  });
  const T = Date.now();
  const instances = () => pools.map((db) => createApp({ db, config: testConfig, secretKey: TEST_SECRET_KEY, now: () => T }));
  const send = (app: ReturnType<typeof createApp>, events: TrackedEvent[]) => postBatch(app, { site: 'scored', sentAt: T, events });
  const json = async (res: Response | Promise<Response>) => (await res).json();

  it('concurrent batches for the same leads through several instances lose no update: a rescore afterwards changes nothing', async () => {
    const apps = instances();
    const tag = newId();
    const leads = Array.from({ length: 8 }, (_, i) => ({ email: `conc-${tag}-${i}@fernhill.example`, browsers: Array.from({ length: 4 }, () => 'v_' + newId()) }));
    // Every browser names its lead once, concurrently through every instance.
    const forms = leads.flatMap((l, i) =>
      l.browsers.map((v, j) => send(apps[(i + j) % INSTANCES]!, [makeEvent({ visitorId: v, sessionId: `s-${v}`, ts: T - 3_600_000, type: 'form', name: 'contact', traits: { email: l.email }, url: `${DEMO_ORIGIN}/contact` })])),
    );
    expect((await Promise.all(forms)).map((r) => r.status).every((s) => s === 200)).toBe(true);
    // Then 400 batches, out of time order, spread over the instances.
    const paths = ['/', '/pricing', '/blog/a', '/careers/jobs'];
    const batches = Array.from({ length: 400 }, (_, n) => {
      const lead = leads[n % 8]!;
      const v = lead.browsers[Math.floor(n / 8) % 4]!;
      const events = Array.from({ length: 1 + (n % 3) }, (_, k) =>
        n % 7 === 0 && k === 0
          ? makeEvent({ visitorId: v, sessionId: `s-${v}-${n % 5}`, ts: T - 3_000_000 + ((n * 7919) % 3_000_000), type: 'download', name: `f${n}.pdf` })
          : makeEvent({ visitorId: v, sessionId: `s-${v}-${n % 5}`, ts: T - 3_000_000 + ((n * 7919 + k * 104_729) % 3_000_000), path: paths[(n + k) % 4]!, url: `${DEMO_ORIGIN}${paths[(n + k) % 4]}` }),
      );
      return () => send(apps[n % INSTANCES]!, events);
    });
    const statuses: number[] = [];
    // 50 requests in flight at a time, as from 50 connections.
    await Promise.all(Array.from({ length: 50 }, async (_, w) => {
      for (let i = w; i < batches.length; i += 50) statuses.push((await batches[i]!()).status);
    }));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    for (const { email, browsers } of leads) {
      const [lead] = (await json(getWithKey(apps[0]!, `/v1/leads?email=${email}`))).leads;
      expect(lead.visitorIds.sort()).toEqual([...browsers].sort());
      const before = await json(getWithKey(apps[0]!, `/v1/leads/${lead.id}/score`));
      await apps[1]!.request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
      const after = await json(getWithKey(apps[0]!, `/v1/leads/${lead.id}/score`));
      expect(after.engagement).toBe(before.engagement);
      expect(after.items).toEqual(before.items);
    }
    // And every acknowledged event is stored once.
    const stored = await getDb().db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('visitor_id', 'in', leads.flatMap((l) => l.browsers)).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(32 + [...Array(400).keys()].reduce((a, n) => a + 1 + (n % 3), 0));
  }, 120_000);

  it('concurrent first forms with one email through several instances make one lead, link every browser, and answer no 5xx', async () => {
    const apps = instances();
    const email = `first-${newId()}@fernhill.example`;
    const browsers = Array.from({ length: 24 }, () => 'v_' + newId());
    const results = await Promise.all(
      browsers.map((v, i) => send(apps[i % INSTANCES]!, [makeEvent({ visitorId: v, sessionId: `s-${v}`, ts: T - 1000 + i, type: 'form', name: 'demo-request', traits: { email } , url: `${DEMO_ORIGIN}/demo` })])),
    );
    expect(results.map((r) => r.status)).toEqual(browsers.map(() => 200));
    const rows = await getDb().db.selectFrom('leads').select(['id', 'stage']).where('email', '=', email).execute();
    expect(rows).toHaveLength(1);
    const lead = await json(getWithKey(apps[0]!, `/v1/leads/${rows[0]!.id}`));
    expect(lead.visitorIds.sort()).toEqual([...browsers].sort());
    // One lead, so one creation and one hand-raiser qualification in its history.
    expect(lead.stageHistory.map((c: any) => c.to)).toEqual(['lead', 'sql']);
  }, 60_000);
});
