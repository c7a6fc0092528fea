import pg from 'pg';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../../../test/support/databases.js';
import { describePostgres } from '../../../test/support/describePostgres.js';
import { makeEvent, postBatch, TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcpProxy.js';
import { createApp } from '../app.js';
import { openDatabase } from './openDatabase.js';
import type { Database } from './schema.js';

// The ingest talks to PostgreSQL through a proxy the test cuts and restores: a network outage
// or a failover, played on loopback. An `error` event nobody listens to fails the run.
describePostgres('database outage', () => {
  let test: TestDatabase;
  let proxy: TcpProxy;
  let db: Kysely<Database>;
  let app: ReturnType<typeof createApp>;
  let admin: pg.Client;
  /** Ids of events whose request was answered 2xx: each must be stored. */
  const acknowledged: string[] = [];
  const databaseName = () => new URL(test.url).pathname.slice(1);

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    const target = new URL(TEST_POSTGRES_URL);
    proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const proxied = new URL(test.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    db = openDatabase(proxied.toString()).db;
    app = createApp({ db, config: testConfig, secretKey: TEST_SECRET_KEY });
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.destroy();
    await proxy?.close();
    await test?.close();
  });

  /** Posts one event; remembers it when the answer promises it is stored. */
  async function post() {
    const event = makeEvent();
    const res = await postBatch(app, { events: [event] });
    if (res.status >= 200 && res.status < 300) acknowledged.push(event.id);
    return res;
  }

  /** What `pg_terminate_backend` does in a failover: every session of the ingest ends. */
  async function terminateIngestBackends(): Promise<number> {
    const ports = proxy.upstreamPorts();
    const { rows } = await admin.query(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND client_port = ANY($2::int[])',
      [databaseName(), ports],
    );
    return rows[0].n;
  }

  it('stores a batch through the proxy', async () => {
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('survives its idle and busy connections being terminated, and answers 200 again at once', async () => {
    // Warm several pooled clients, then kill them while idle.
    expect((await Promise.all(Array.from({ length: 6 }, post))).map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(await terminateIngestBackends()).toBeGreaterThan(0);
    // The clients hear of it on their next read; give the event loop a moment.
    await new Promise((r) => setTimeout(r, 100));
    expect((await post()).status).toBe(200);

    // Now in the middle of commits: each request either committed (200) or says retry (503).
    const inFlight = Array.from({ length: 20 }, post);
    await new Promise((r) => setTimeout(r, 5));
    await terminateIngestBackends();
    const statuses = (await Promise.all(inFlight)).map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect((await post()).status).toBe(200);
  });

  it('answers 503 with Retry-After while the database is unreachable, and 200 again once it is back, without a restart', async () => {
    const inFlight = Array.from({ length: 10 }, post);
    await proxy.cut();
    for (const res of await Promise.all(inFlight)) expect([200, 503]).toContain(res.status);

    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const res = await post();
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    }
    // A refused connection fails fast; connectionTimeoutMillis bounds the silent kind.
    expect(Date.now() - started).toBeLessThan(10_000);

    // Keyed reads and writes and the dashboard say the same (they were a bare 500 `internal`).
    const keyed = { Authorization: `Bearer ${TEST_SECRET_KEY}` };
    for (const [method, path] of [
      ['GET', '/v1/leads?site=demo&email=pat@fernhill.example'],
      ['GET', '/v1/visitors/v_abcdefgh?site=demo'],
      ['POST', '/v1/leads/ld_missing/feedback'],
    ] as const) {
      const res = await app.request(path, { method, headers: { ...keyed, 'Content-Type': 'application/json' }, ...(method === 'POST' && { body: JSON.stringify({ type: 'contacted' }) }) });
      expect(res.status, `${path} ${await res.clone().text()}`).toBe(503);
      expect(Number(res.headers.get('Retry-After')), path).toBeGreaterThan(0);
      expect(await res.json(), path).toEqual({ error: { code: 'unavailable', message: 'the database is not answering; retry later' } });
    }

    await proxy.restore();
    for (let i = 0; i < 5; i++) expect((await post()).status).toBe(200);
  });

  it('has stored every event it acknowledged', async () => {
    expect(acknowledged.length).toBeGreaterThan(10);
    const stored = await test.db.selectFrom('events').select('id').where('id', 'in', acknowledged).execute();
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(acknowledged));
  });
});
