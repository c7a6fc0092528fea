import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrmReceiver } from '../../examples/crm-receiver/receiver.js';
import { toCrmContact } from '../../examples/crm-receiver/toCrmContact.js';
import { createApp } from '../../ingest/src/app.js';
import { createWebhookDispatcher } from '../../ingest/src/webhooks/dispatcher.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../support/ingest.js';
import { eventually } from '../support/stack.js';
import { testConfig } from '../support/ingest.js';

describe('the CRM recipe (examples/crm-receiver)', () => {
  it('maps a lead to HubSpot-style contact properties', () => {
    const contact = toCrmContact({
      id: 'dl_1',
      type: 'lead.mql',
      site: 'demo',
      lead: { id: 'ld_1', email: 'ana@fernhill.example', stage: 'mql', traits: { name: 'Ana María Kovač', company: 'Fernhill', jobTitle: 'CFO' }, score: { engagement: 62.5, fit: 35, total: 97.5 } },
      topReasons: [{ rule: 'demo-request', points: 30 }],
    });
    expect(contact).toEqual({
      email: 'ana@fernhill.example',
      properties: expect.objectContaining({ lifecyclestage: 'marketingqualifiedlead', firstname: 'Ana', lastname: 'María Kovač', company: 'Fernhill', jobtitle: 'CFO', leadbeam_score: 97.5, leadbeam_lead_id: 'ld_1', leadbeam_why: 'demo-request +30' }),
    });
  });

  describe('the whole loop: qualify → signed webhook → CRM contact → sales feedback → lead stage', () => {
    let test: TestDatabase;
    let server: ServerType;
    let base = '';
    const dispatchers: Array<ReturnType<typeof createWebhookDispatcher>> = [];
    beforeAll(async () => {
      test = await createTestDatabase('sqlite');
      const dispatcher = createWebhookDispatcher({ db: test.db, pollMs: 100, allowPrivateWebhooks: true });
      dispatchers.push(dispatcher);
      dispatcher.start();
      const app = createApp({ db: test.db, config: testConfig, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
      server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await Promise.all(dispatchers.map((d) => d.stop()));
      await new Promise((r) => server?.close(r));
      await test?.close();
    });

    it('ends with the CRM holding the contact and the lead a customer', async () => {
      const admin = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
      // The CRM's own key: it may only send feedback (and read).
      const key = await (await fetch(`${base}/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'crm', scopes: ['write'] }) })).json();
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const crm = await startCrmReceiver({ secret, leadbeamUrl: base, leadbeamKey: key.key });
      try {
        const hook = await fetch(`${base}/v1/webhooks`, { method: 'POST', headers: admin, body: JSON.stringify({ url: `${crm.url}/leadbeam`, events: ['lead.sql'], site: 'scored', secret }) });
        expect(hook.status).toBe(201);
        const email = `loop-${newId()}@fernhill.example`;
        const visitorId = 'v_' + newId();
        const app = { request: (path: string, init: RequestInit) => fetch(`${base}${path}`, init) } as never;
        await postBatch(app, { site: 'scored', events: [makeEvent({ visitorId, sessionId: `s-${visitorId}`, type: 'form', name: 'demo-request', traits: { email, name: 'Noor Haddad', company: 'Fernhill', jobTitle: 'Controller' }, url: `${DEMO_ORIGIN}/demo` })] });
        const contact = await eventually(async () => crm.contacts.get(email), 10_000);
        expect(contact).toMatchObject({ lifecyclestage: 'salesqualifiedlead', firstname: 'Noor', lastname: 'Haddad', jobtitle: 'Controller', company: 'Fernhill' });
        // A sales rep closes the deal in the CRM; the CRM tells leadbeam.
        const feedback = await fetch(`${crm.url}/contacts/${encodeURIComponent(email)}/feedback`, { method: 'POST', body: JSON.stringify({ type: 'won', by: 'sam@northwind.example' }) });
        expect(feedback.status).toBe(200);
        const lead = await (await fetch(`${base}/v1/leads/${contact.leadbeam_lead_id}`, { headers: admin })).json();
        expect(lead.stage).toBe('customer');
        // A delivery that does not verify is refused.
        const forged = await fetch(`${crm.url}/leadbeam`, { method: 'POST', body: '{"id":"dl_x"}', headers: { 'webhook-id': 'dl_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' } });
        expect(forged.status).toBe(400);
      } finally {
        await crm.close();
      }
    });
  });
});
