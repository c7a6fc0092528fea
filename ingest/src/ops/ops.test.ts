import { expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, makeEvent, postBatch, testApp } from '../../../test/support/ingest.js';
import { logger } from './logger.js';

describeEachDialect('operations', (getDb) => {
  it('says it is alive, and ready only while the database answers', async () => {
    const app = testApp(getDb().db);
    expect(await (await app.request('/health')).json()).toEqual({ ok: true });
    expect(await (await app.request('/ready')).json()).toEqual({ ready: true });
    // A database that does not answer: nothing listens on loopback port 1.
    const { openDatabase } = await import('../db/openDatabase.js');
    const { db } = openDatabase('postgres://postgres@127.0.0.1:1/none');
    try {
      const gone = await testApp(db).request('/ready');
      expect(gone.status).toBe(503);
      expect(gone.headers.get('retry-after')).toBeTruthy();
    } finally {
      await db.destroy();
    }
  });

  it('serves Prometheus metrics behind an admin key, counting what the ingest did', async () => {
    const app = testApp(getDb().db);
    await postBatch(app, { events: [makeEvent(), { ...makeEvent(), visit: 0 }] });
    expect((await app.request('/metrics')).status).toBe(401);
    const res = await app.request('/metrics', { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^leadbeam_events_accepted_total \d+/m);
    expect(text).toMatch(/^leadbeam_events_rejected_total\{field="visit"\} \d+/m);
    expect(text).toMatch(/^leadbeam_commit_duration_seconds_count \d+/m);
    expect(text).toMatch(/leadbeam_http_requests_total\{method="POST",route="\/v1\/collect",status="200"\}/);
  });

  it("counts refused events by top-level field only: a sender's property names never become metric series", async () => {
    const app = testApp(getDb().db);
    const keys = Array.from({ length: 5 }, (_, i) => `made_up_key_${i}_${Math.random().toString(36).slice(2)}`);
    // A NUL is refused per event, naming the property: props.<key>.
    const res = await postBatch(app, { events: keys.map((k) => ({ ...makeEvent(), props: { [k]: 'a\u0000b' } })) });
    const body = await res.json();
    expect(body.rejected.map((r: { field: string }) => r.field)).toEqual(keys.map((k) => `props.${k}`));
    const text = await (await app.request('/metrics', { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } })).text();
    expect(text).toMatch(/^leadbeam_events_rejected_total\{field="props"\} \d+/m);
    for (const k of keys) expect(text).not.toContain(k);
  });

  it('logs one JSON line a request with its id, route pattern, status and duration, and never the key or the path', async () => {
    const lines: unknown[] = [];
    const spy = vi.spyOn(logger, 'info').mockImplementation(((obj: unknown) => void lines.push(obj)) as never);
    try {
      const app = testApp(getDb().db);
      const res = await app.request('/v1/leads/ld_someone%40example.com', { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'X-Request-Id': 'req-123' } });
      expect(res.headers.get('x-request-id')).toBe('req-123');
      expect(lines).toContainEqual(expect.objectContaining({ requestId: 'req-123', method: 'GET', route: '/v1/leads/:id', status: 404 }));
      const text = JSON.stringify(lines);
      expect(text).not.toContain(TEST_SECRET_KEY);
      expect(text).not.toContain('someone');
      // A request id that is not a plain token is replaced.
      const other = await app.request('/health', { headers: { 'X-Request-Id': 'a b <script>' } });
      expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      spy.mockRestore();
    }
  });
});
