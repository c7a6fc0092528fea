import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { startReceiver } from '../../../test/support/receiver.js';
import { createApp } from '../app.js';
import { createWebhookDispatcher } from './dispatcher.js';
import { verifySignature } from './sign.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const until = async (check: () => boolean | Promise<boolean>, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describeEachDialect('webhooks', (getDb) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  const dispatchers: Array<ReturnType<typeof createWebhookDispatcher>> = [];
  afterAll(async () => {
    await Promise.all(dispatchers.map((d) => d.stop()));
    await receiver.close();
  });

  const setup = (pollMs = 50) => {
    const dispatcher = createWebhookDispatcher({ db: getDb().db, pollMs, timeoutMs: 1000, allowPrivateWebhooks: true });
    dispatchers.push(dispatcher);
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
    return { app, dispatcher };
  };
  const register = async (app: ReturnType<typeof createApp>, url: string, events: string[]) =>
    (await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url, events, site: 'scored', secret: 'whsec_test_0123456789abcdef' }) })).json();
  const demoRequest = (email: string) => {
    const visitorId = 'v_' + newId();
    return makeEvent({ visitorId, sessionId: 'sess_' + newId(), type: 'form', name: 'demo-request', traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/demo` });
  };

  it('registers, lists and deletes webhooks; refuses bad ones naming the field', async () => {
    const { app } = setup();
    const created = await register(app, 'https://crm.example/hook', ['lead.mql']);
    expect(created).toMatchObject({ id: expect.stringMatching(/^wh_/), url: 'https://crm.example/hook', events: ['lead.mql'], source: 'api', secret: 'whsec_test_0123456789abcdef' });
    const list = await (await app.request('/v1/webhooks', { headers: auth })).json();
    expect(list.webhooks.map((w: any) => w.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain('whsec_test');
    expect((await app.request(`/v1/webhooks/${created.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const gone = await app.request(`/v1/webhooks/${created.id}`, { method: 'DELETE', headers: auth });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: { code: 'not_found', message: `id: no webhook "${created.id}"`, field: 'id' } });
    const bad = await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'ftp://x', events: ['lead.sold'] }) });
    expect(bad.status).toBe(400);
    const { error } = await bad.json();
    expect(error).toMatchObject({ code: 'invalid_request', field: expect.stringMatching(/^(url|events)/) });
    expect(error.message).toMatch(/^url:|^events/);
    expect((await app.request('/v1/webhooks')).status).toBe(401);
    // Every delivery carries the URL and signs with the secret: 100 KB of either was accepted.
    for (const [field, body] of [
      ['url', { url: `https://crm.example/${'a'.repeat(100_000)}`, events: ['lead.mql'] }],
      ['secret', { url: 'https://crm.example/hook', events: ['lead.mql'], secret: 's'.repeat(100_000) }],
    ] as const) {
      const long = await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify(body) });
      expect(long.status, field).toBe(400);
      expect((await long.json()).error, field).toMatchObject({ field, message: expect.stringMatching(new RegExp(`^${field}: at most`)) });
    }
  });

  it('refuses a webhook for a site the config file does not have, naming site: it would never fire, and no page would list it', async () => {
    const { app } = setup();
    const res = await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'https://crm.example/hook', events: ['lead.mql'], site: 'scoerd' }) });
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: 'invalid_request', field: 'site' });
    expect(error.message).toMatch(/^site: no site "scoerd" in the config file \(sites: .*scored/);
    const list = await (await app.request('/v1/webhooks', { headers: auth })).json();
    expect(list.webhooks.filter((w: any) => w.site === 'scoerd')).toEqual([]);
  });

  it('delivers a signed handover at once, with the lead, its scores and the change; the signature verifies independently', async () => {
    const { app, dispatcher } = setup();
    const hook = await register(app, receiver.url, ['lead.sql', 'lead.created']);
    const email = `hook-${newId()}@fernhill.example`;
    const sentAt = Date.now();
    await postBatch(app, { site: 'scored', events: [demoRequest(email)] });
    await until(() => receiver.received.filter((r) => r.body.includes(email)).length >= 2);
    const mine = receiver.received.filter((r) => r.body.includes(email));
    const sql = mine.find((r) => r.headers['leadbeam-event'] === 'lead.sql')!;
    // This dispatcher is never started, so it never polls: the delivery arriving at all shows it
    // was sent on the commit's kick. The bound is loose because a busy CI machine (many test
    // files at once) can take over a second to score, commit and send.
    expect(sql.at - sentAt).toBeLessThan(5000);
    const payload = JSON.parse(sql.body);
    expect(payload).toMatchObject({ type: 'lead.sql', lead: { email, stage: 'sql', traits: { email, jobTitle: 'CFO' } }, change: { from: 'lead', to: 'sql', cause: 'rule:demo-request' } });
    expect(payload.lead.score).toMatchObject({ fit: 15 });
    expect(payload.topReasons[0]).toEqual({ rule: 'demo-request', points: 20 });
    expect(sql.headers['leadbeam-delivery']).toBe(payload.id);
    // An independent check: HMAC-SHA256 over "<timestamp>.<body>" with the secret.
    const expected = 'v1=' + createHmac('sha256', 'whsec_test_0123456789abcdef').update(`${sql.headers['leadbeam-timestamp']}.${sql.body}`).digest('hex');
    expect(sql.headers['leadbeam-signature']).toBe(expected);
    expect(verifySignature({ secret: 'whsec_test_0123456789abcdef', body: sql.body, timestamp: String(sql.headers['leadbeam-timestamp']), signature: expected })).toBe(true);
    expect(verifySignature({ secret: 'whsec_test_0123456789abcdef', body: sql.body.replace('sql', 'mql'), timestamp: String(sql.headers['leadbeam-timestamp']), signature: expected })).toBe(false);
    expect(verifySignature({ secret: 'whsec_test_0123456789abcdef', body: sql.body, timestamp: String(Number(sql.headers['leadbeam-timestamp']) - 600), signature: expected })).toBe(false);
    await dispatcher.stop();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  });

  it('retries a failing receiver with backoff and logs every attempt', async () => {
    const failing = await startReceiver([500, 503]);
    const { app, dispatcher } = setup(20);
    dispatcher.start();
    const hook = await register(app, failing.url, ['lead.sql']);
    const email = `retry-${newId()}@fernhill.example`;
    await postBatch(app, { site: 'scored', events: [demoRequest(email)] });
    await until(() => failing.received.length >= 3, 15_000);
    const log = await (await app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: auth })).json();
    const delivery = log.deliveries.find((d: any) => d.payload.lead.email === email);
    const deliveryNow = async () => (await (await app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: auth })).json()).deliveries.find((d: any) => d.id === delivery.id);
    await until(async () => (await deliveryNow()).status === 'delivered');
    const done = await deliveryNow();
    expect(done.attempts.map((a: any) => a.statusCode)).toEqual([500, 503, 200]);
    const gaps = failing.received.slice(1).map((r, i) => r.at - failing.received[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(700); // ~1 s, then ~2 s
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    expect(new Set(failing.received.map((r) => r.headers['leadbeam-delivery'])).size).toBe(1);
    await dispatcher.stop();
    await failing.close();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  }, 30_000);

  it('counts a receiver that does not answer in time as a failure, and retries', async () => {
    const slow = await startReceiver(['hang']);
    const dispatcher = createWebhookDispatcher({ db: getDb().db, pollMs: 20, timeoutMs: 300, allowPrivateWebhooks: true });
    dispatchers.push(dispatcher);
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
    dispatcher.start();
    const hook = await register(app, slow.url, ['lead.sql']);
    await postBatch(app, { site: 'scored', events: [demoRequest(`slow-${newId()}@fernhill.example`)] });
    const deliveries = async () => (await (await app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: auth })).json()).deliveries;
    await until(async () => (await deliveries())[0]?.status === 'delivered', 10_000);
    const [delivery] = await deliveries();
    expect(delivery.attempts.map((a: any) => a.error ?? a.statusCode)).toEqual(['no answer within 300 ms', 200]);
    await dispatcher.stop();
    await slow.close();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  }, 20_000);

  it('survives a restart: a delivery stored while nothing could send is delivered by the next process', async () => {
    const { app } = setup(); // no dispatcher running: as if the process died right after the commit
    const hook = await register(app, receiver.url, ['lead.sql']);
    const email = `restart-${newId()}@fernhill.example`;
    await postBatch(createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY }), { site: 'scored', events: [demoRequest(email)] });
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.some((r) => r.body.includes(email))).toBe(false);
    const next = createWebhookDispatcher({ db: getDb().db, pollMs: 50, allowPrivateWebhooks: true });
    dispatchers.push(next);
    next.start();
    await until(() => receiver.received.some((r) => r.body.includes(email)));
    await next.stop();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  });

  it('takes webhooks from the config file too, and tells of merges', async () => {
    const { syncConfigWebhooks } = await import('./enqueue.js');
    const { parseConfig } = await import('../config/loadConfig.js');
    // A config file takes public names only: this one the dispatcher's stubbed resolver maps to the receiver.
    const url = receiver.url.replace('127.0.0.1', 'hooks.example');
    const config = parseConfig(
      { sites: testConfig.sites.map((s) => (s.key === 'scored' ? { ...s, webhooks: [{ url, secret: 'whsec_config_0123456789', events: ['lead.merged'] }] } : s)) },
      'with webhooks',
    );
    await syncConfigWebhooks(getDb().db, config);
    await syncConfigWebhooks(getDb().db, config); // idempotent at every start
    const dispatcher = createWebhookDispatcher({ db: getDb().db, pollMs: 50, allowPrivateWebhooks: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    dispatchers.push(dispatcher);
    const app = createApp({ db: getDb().db, config, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
    const list = await (await app.request('/v1/webhooks', { headers: auth })).json();
    const configured = list.webhooks.filter((w: any) => w.source === 'config');
    expect(configured).toHaveLength(1);
    expect((await app.request(`/v1/webhooks/${configured[0].id}`, { method: 'DELETE', headers: auth })).status).toBe(409);
    const [a, b] = [`m1-${newId()}@fernhill.example`, `m2-${newId()}@fernhill.example`];
    await postBatch(app, { site: 'scored', events: [demoRequest(a), demoRequest(b)] });
    const leads = await Promise.all([a, b].map(async (e) => (await (await app.request(`/v1/leads?email=${e}`, { headers: auth })).json()).leads[0]));
    await app.request(`/v1/leads/${leads[0].id}/merge`, { method: 'POST', headers: auth, body: JSON.stringify({ leadId: leads[1].id }) });
    await until(() => receiver.received.some((r) => r.headers['leadbeam-event'] === 'lead.merged' && r.body.includes(leads[1].id)));
    const merged = JSON.parse(receiver.received.find((r) => r.body.includes(leads[1].id) && r.headers['leadbeam-event'] === 'lead.merged')!.body);
    expect(merged.merge).toEqual({ survivor: leads[0].id, merged: leads[1].id });
    await getDb().db.deleteFrom('webhooks').where('id', '=', configured[0].id).execute();
  });

  it('removes a config webhook the config file no longer has, giving up its waiting deliveries, and names API webhooks whose site is gone', async () => {
    const { syncConfigWebhooks } = await import('./enqueue.js');
    const { parseConfig } = await import('../config/loadConfig.js');
    const withHook = (url: string) =>
      parseConfig({ sites: testConfig.sites.map((s) => (s.key === 'scored' ? { ...s, webhooks: [{ url, secret: 'whsec_config_0123456789', events: ['lead.mql'] }] } : s)) }, 'with webhooks');
    const db = getDb().db;
    await syncConfigWebhooks(db, withHook('https://old.example/hook'));
    const [old] = await db.selectFrom('webhooks').select('id').where('url', '=', 'https://old.example/hook').execute();
    // Waiting for a retry an hour away: the dispatchers other tests left running must not send it
    // (it points off this machine) nor record an attempt over the sync's verdict.
    await db.insertInto('webhook_deliveries').values({ id: 'dl_' + newId(), webhook_id: old!.id, event_type: 'lead.mql', lead_id: 'ld_x', payload: '{}', status: 'pending', attempts: 0, next_attempt_at: Date.now() + 3_600_000, created_at: Date.now(), delivered_at: null }).execute();
    // An API webhook for a site the file will not have.
    const orphan = 'wh_' + newId();
    await db.insertInto('webhooks').values({ id: orphan, site_id: 'gone', url: 'https://crm.example/hook', secret: 'whsec_0123456789abcdef', events: '["lead.mql"]', created_at: Date.now() }).execute();

    // The URL changed in the file: the old webhook goes, the new one comes.
    const { removed, orphaned } = await syncConfigWebhooks(db, withHook('https://new.example/hook'));
    expect(removed).toEqual([old!.id]);
    expect(orphaned).toContain(orphan);
    const urls = (await db.selectFrom('webhooks').select('url').where('id', 'like', 'wh_cfg_%').execute()).map((r) => r.url);
    expect(urls).toContain('https://new.example/hook');
    expect(urls).not.toContain('https://old.example/hook');
    const waiting = await db.selectFrom('webhook_deliveries').select('status').where('webhook_id', '=', old!.id).execute();
    expect(waiting.map((d) => d.status)).toEqual(['failed']);
    await db.deleteFrom('webhooks').where('id', 'in', [orphan]).execute();
    await syncConfigWebhooks(db, testConfig);
  });

  it('sends nothing when an event does not change the stage', async () => {
    const { app, dispatcher } = setup();
    const hook = await register(app, receiver.url, ['lead.stage_changed']);
    const email = `quiet-${newId()}@fernhill.example`;
    const first = demoRequest(email);
    await postBatch(app, { site: 'scored', events: [first] });
    await until(() => receiver.received.filter((r) => r.body.includes(email)).length >= 2); // created, then sql
    await postBatch(app, { site: 'scored', events: [makeEvent({ visitorId: first.visitorId, sessionId: first.sessionId, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` })] });
    await dispatcher.kick();
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.filter((r) => r.body.includes(email))).toHaveLength(2);
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  });
});
