import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { startReceiver } from '../../../test/support/receiver.js';
import { createApp } from '../app.js';
import { createWebhookDispatcher } from './dispatcher.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const until = async <T>(check: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describeEachDialect('resending a webhook delivery through the API', (getDb) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dispatcher: ReturnType<typeof createWebhookDispatcher>;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    receiver = await startReceiver([503]);
    // One attempt: the 503 fails the delivery for good, so only a resend sends it again.
    dispatcher = createWebhookDispatcher({ db: getDb().db, pollMs: 50, timeoutMs: 1000, maxAttempts: 1, allowPrivateWebhooks: true });
    dispatcher.start();
    app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await receiver?.close();
  });

  it('sends a failed delivery again with the same id and body, logs the new attempt, and refuses what cannot be resent', async () => {
    const hook = await (await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: receiver.url, events: ['lead.created'], site: 'scored' }) })).json();
    const email = `resend-${newId()}@fernhill.example`;
    await postBatch(app, { site: 'scored', events: [makeEvent({ type: 'form', name: 'newsletter', traits: { email } })] });
    const first = await until(() => receiver.received.find((r) => r.body.includes(email)));
    const id = String(first.headers['webhook-id']);
    const log = async () => (await (await app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: auth })).json()).deliveries[0];
    await until(async () => ((await log()).status === 'failed' ? true : undefined));

    const key = await (await app.request('/v1/keys', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'reader', scopes: ['read'] }) })).json();
    expect((await app.request(`/v1/webhooks/deliveries/${id}/resend`, { method: 'POST', headers: { Authorization: `Bearer ${key.key}` } })).status).toBe(403);

    const res = await app.request(`/v1/webhooks/deliveries/${id}/resend`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id, webhookId: hook.id, status: 'pending' });
    const second = await until(() => receiver.received.filter((r) => r.body.includes(email))[1]);
    expect(second.headers['webhook-id']).toBe(id);
    expect(second.body).toBe(first.body);
    const delivered = await until(async () => {
      const d = await log();
      return d.status === 'delivered' ? d : undefined;
    });
    expect(delivered.attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode])).toEqual([
      [1, 503],
      [2, 200],
    ]);

    // Still on its way: not resent twice.
    await getDb().db.updateTable('webhook_deliveries').set({ status: 'pending', next_attempt_at: Date.now() + 3_600_000 }).where('id', '=', id).execute();
    const pending = await app.request(`/v1/webhooks/deliveries/${id}/resend`, { method: 'POST', headers: auth });
    expect(pending.status).toBe(409);
    expect((await pending.json()).error).toMatchObject({ code: 'conflict', field: 'id' });
    // Its webhook removed: nowhere to send it.
    expect((await app.request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const orphan = await app.request(`/v1/webhooks/deliveries/${id}/resend`, { method: 'POST', headers: auth });
    expect(orphan.status).toBe(409);
    expect((await orphan.json()).error.message).toMatch(/was removed/);
    const unknown = await app.request('/v1/webhooks/deliveries/dl_nope/resend', { method: 'POST', headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'id: no delivery "dl_nope"', field: 'id' } });
  });
});
