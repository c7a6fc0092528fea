import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };

describeEachDialect('GET /v1/webhooks/{id}/deliveries', (getDb) => {
  // No dispatcher: deliveries stay pending in the log, which is all these tests read.
  const app = () => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, allowPrivateWebhooks: true });
  const register = async () => (await (await app().request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['lead.created'], site: 'scored' }) })).json()) as { id: string };
  const deliveriesOf = (id: string) => app().request(`/v1/webhooks/${id}/deliveries`, { headers: auth });

  it('answers 404 in the one error body for an id that is no webhook, as for the other webhook routes', async () => {
    const res = await deliveriesOf('wh_nobody');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'id: no webhook "wh_nobody"', field: 'id' } });
  });

  it('answers an empty log for a webhook that has sent nothing yet', async () => {
    const hook = await register();
    const res = await deliveriesOf(hook.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deliveries: [] });
  });

  it("keeps a removed webhook's log readable; once it has none, the id is unknown", async () => {
    const hook = await register();
    await postBatch(app(), { site: 'scored', events: [makeEvent({ type: 'form', name: 'newsletter', traits: { email: `log-${newId()}@fernhill.example` } })] });
    expect((await app().request(`/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const res = await deliveriesOf(hook.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { deliveries: Array<{ type: string; status: string }> }).deliveries).toMatchObject([{ type: 'lead.created', status: 'failed' }]);

    const empty = await register();
    expect((await app().request(`/v1/webhooks/${empty.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await deliveriesOf(empty.id)).status).toBe(404);
  });
});
