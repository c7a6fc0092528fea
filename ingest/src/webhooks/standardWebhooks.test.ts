import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { startReceiver, type Received } from '../../../test/support/receiver.js';
import { createApp } from '../app.js';
import { createWebhookDispatcher } from './dispatcher.js';
import { generateSecret, secretProblem, signStandard, standardKey, standardSecret, verifySignature, verifyStandard } from './sign.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const until = async (check: () => boolean | Promise<boolean>, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};
/** The receiver's headers as the library takes them: one string each. */
const flat = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

describe('Standard Webhooks secrets and signatures', () => {
  it('makes whsec_ secrets of 32 random bytes, in standard base64', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(standardKey(secret)).toHaveLength(32);
    expect(standardSecret(secret)).toBe(secret);
    expect(generateSecret()).not.toBe(secret);
  });

  it('accepts whsec_ + base64 of 24–64 bytes and older secrets of 16+ characters; refuses the rest', () => {
    const b64 = (n: number) => 'whsec_' + Buffer.alloc(n, 7).toString('base64');
    expect(secretProblem(b64(24))).toBeNull();
    expect(secretProblem(b64(64))).toBeNull();
    expect(secretProblem(b64(23))).toMatch(/24–64 bytes; this one is 23/);
    expect(secretProblem(b64(65))).toMatch(/this one is 65/);
    expect(secretProblem('whsec_test_0123456789abcdef')).toBeNull(); // not base64: an older secret, kept
    expect(secretProblem('a passphrase of 16+')).toBeNull();
    expect(secretProblem('short')).toMatch(/whsec_/);
  });

  it('signs older secrets with their UTF-8 bytes, which a library verifies as whsec_ + base64 of them', () => {
    const legacy = 'whsec_test_0123456789abcdef';
    expect(standardSecret(legacy)).toBe('whsec_d2hzZWNfdGVzdF8wMTIzNDU2Nzg5YWJjZGVm');
    const at = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'dl_1', 'webhook-timestamp': String(at), 'webhook-signature': signStandard(legacy, 'dl_1', at, '{"a":1}') };
    expect(new Webhook(standardSecret(legacy)).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(() => new Webhook(legacy)).toThrow(); // the raw secret is not base64: that is why standardSecret exists
    // Our own verifier agrees, and takes a list of signatures (key rotation).
    expect(verifyStandard({ secret: legacy, id: 'dl_1', body: '{"a":1}', timestamp: at, signature: `v1,bm90IGl0 ${headers['webhook-signature']}` })).toBe(true);
    expect(verifyStandard({ secret: legacy, id: 'dl_2', body: '{"a":1}', timestamp: at, signature: headers['webhook-signature'] })).toBe(false);
  });
});

describeEachDialect('Standard Webhooks deliveries', (getDb) => {
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
  const register = (app: ReturnType<typeof createApp>, body: object) => app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ events: ['lead.sql'], site: 'scored', ...body }) });
  const sqlFor = async (app: ReturnType<typeof createApp>, where: { received: Received[] }) => {
    const email = `std-${newId()}@fernhill.example`;
    const visitorId = 'v_' + newId();
    await postBatch(app, { site: 'scored', events: [makeEvent({ visitorId, sessionId: 'sess_' + newId(), type: 'form', name: 'demo-request', traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/demo` })] });
    await until(() => where.received.some((r) => r.body.includes(email)));
    return where.received.filter((r) => r.body.includes(email));
  };

  it('refuses a whsec_ secret that is not base64 of 24–64 bytes, naming secret', async () => {
    const { app } = setup();
    const res = await register(app, { url: receiver.url, secret: 'whsec_' + Buffer.alloc(16, 1).toString('base64') });
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: 'invalid_request', field: 'secret' });
    expect(error.message).toMatch(/^secret: a whsec_ secret is base64 of 24–64 bytes; this one is 16/);
    expect((await register(app, { url: receiver.url, secret: 'short' })).status).toBe(400);
  });

  it('a delivery verifies with the standardwebhooks library and the generated secret; a changed body or a 10-minute-old timestamp does not', async () => {
    const { app, dispatcher } = setup();
    const res = await register(app, { url: receiver.url });
    expect(res.status).toBe(201);
    const hook = await res.json();
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(hook.standardSecret).toBe(hook.secret);
    const [sql] = await sqlFor(app, receiver);
    const headers = flat(sql!.headers);
    const payload = JSON.parse(sql!.body);
    expect(headers['webhook-id']).toBe(payload.id);
    expect(headers['webhook-id']).toBe(headers['leadbeam-delivery']);
    expect(headers['webhook-timestamp']).toBe(headers['leadbeam-timestamp']);
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    const wh = new Webhook(hook.secret);
    expect(wh.verify(sql!.body, headers)).toEqual(payload);
    expect(() => wh.verify(sql!.body.replace('"sql"', '"mql"'), headers)).toThrow(/signature/i);
    expect(() => new Webhook(generateSecret()).verify(sql!.body, headers)).toThrow(/signature/i);
    // The same genuine delivery, replayed 10 minutes later.
    const realNow = Date.now();
    const later = vi.spyOn(Date, 'now').mockReturnValue(realNow + 600_000);
    try {
      expect(() => wh.verify(sql!.body, headers)).toThrow(/timestamp too old/i);
    } finally {
      later.mockRestore();
    }
    // A timestamp rewritten to 10 minutes ago fails too.
    expect(() => wh.verify(sql!.body, { ...headers, 'webhook-timestamp': String(Math.floor(realNow / 1000) - 600) })).toThrow();

    // The Leadbeam-* headers are still there and still verify as before.
    expect(verifySignature({ secret: hook.secret, body: sql!.body, timestamp: headers['leadbeam-timestamp']!, signature: headers['leadbeam-signature']! })).toBe(true);
    await dispatcher.stop();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  });

  it('an older secret verifies with the standardSecret the registration answers', async () => {
    const { app, dispatcher } = setup();
    const hook = await (await register(app, { url: receiver.url, secret: 'whsec_test_0123456789abcdef' })).json();
    expect(hook).toMatchObject({ secret: 'whsec_test_0123456789abcdef', standardSecret: 'whsec_d2hzZWNfdGVzdF8wMTIzNDU2Nzg5YWJjZGVm' });
    const [sql] = await sqlFor(app, receiver);
    expect(new Webhook(hook.standardSecret).verify(sql!.body, flat(sql!.headers))).toMatchObject({ type: 'lead.sql' });
    await dispatcher.stop();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  });

  it('keeps webhook-id on every retry; each attempt has its own timestamp and verifies', async () => {
    const failing = await startReceiver([500]);
    const { app, dispatcher } = setup(20);
    dispatcher.start();
    const hook = await (await register(app, { url: failing.url })).json();
    await sqlFor(app, failing);
    await until(() => failing.received.length >= 2, 10_000);
    const [first, second] = failing.received.map((r) => flat(r.headers));
    expect(second!['webhook-id']).toBe(first!['webhook-id']);
    const wh = new Webhook(hook.secret);
    for (const r of failing.received) expect(wh.verify(r.body, flat(r.headers))).toMatchObject({ id: first!['webhook-id'] });
    await dispatcher.stop();
    await failing.close();
    await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth });
  }, 20_000);
});
