import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, getWithKey, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { MAX_NEW_LEADS_PER_CLIENT_PER_HOUR } from '../identity/guardrails.js';

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/**
 * A backend that only knows the person's email sends it as the userId of track, page and screen
 * calls, with the anonymousId the script gave the browser: the visitor's history must become
 * the lead's, as an identify with that userId does. Each request comes from a client address
 * (the app trusts the loopback proxy's X-Forwarded-For), so the per-client guardrails apply.
 */
describeEachDialect('track, page and screen with an email as userId', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const app = () => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits: { perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'] } });
  let base = '';
  const send = async (client: string, path: string, body: unknown) => {
    if (!base) {
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      servers.push(server);
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    const res = await fetch(`${base}/v1/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', 'User-Agent': 'node', Authorization: basic('scored'), 'X-Forwarded-For': client } });
    expect(res.status).toBe(200);
    return res.json();
  };
  const json = async (res: Response | Promise<Response>) => (await res).json();
  const leadOf = async (email: string) => (await json(getWithKey(app(), `/v1/leads?email=${encodeURIComponent(email)}`))).leads[0];
  const eventOf = (visitorId: string, messageId: string) => getDb().db.selectFrom('events').selectAll().where('visitor_id', '=', visitorId).where('id', '=', messageId).executeTakeFirstOrThrow();
  const earlier = () => new Date(Date.now() - 60_000).toISOString();

  const calls = [
    { call: 'track', message: { event: 'Trial Started' }, rule: 'trial-started' },
    { call: 'page', message: { name: 'Pricing', properties: { url: 'https://www.example.com/pricing' } }, rule: 'pricing' },
    { call: 'screen', message: { name: 'Dashboard' }, rule: 'page-view' },
  ] as const;

  for (const { call, message, rule } of calls) {
    it(`${call}: links the anonymous visitor to the lead, whose score counts the ${call} and the visitor's earlier events`, async () => {
      const anonymousId = randomUUID();
      const email = `ana-${randomUUID().slice(0, 8)}@fernhill.example`;
      const before = `before-${randomUUID()}`;
      await send('203.0.113.20', 'page', { anonymousId, messageId: before, name: 'Home', properties: { url: 'https://www.example.com/' }, timestamp: earlier() });
      expect(await leadOf(email)).toBeUndefined();

      const messageId = `named-${randomUUID()}`;
      const res = await send('203.0.113.20', call, { anonymousId, userId: email, messageId, ...message });
      expect(res).toMatchObject({ accepted: 1, rejected: [] });

      const lead = await leadOf(email);
      expect(lead).toMatchObject({ email, stage: 'lead' });
      expect(lead.visitorIds).toEqual([anonymousId]);
      const score = await json(getWithKey(app(), `/v1/leads/${lead.id}/score`));
      const hits = score.items.filter((i: { eventId?: string }) => i.eventId).map((i: { eventId: string; ruleId: string }) => [i.eventId, i.ruleId]);
      expect(hits).toContainEqual([messageId, rule]);
      expect(hits).toContainEqual([before, 'page-view']);
      // The stored event names the person as an identify's does, so a replay links the same way.
      expect(JSON.parse((await eventOf(anonymousId, messageId)).traits!)).toEqual({ email });
    });
  }

  it('a userId that is no email names nobody', async () => {
    const anonymousId = randomUUID();
    const userId = `user-${randomUUID()}`;
    await send('203.0.113.21', 'track', { anonymousId, userId, event: 'Trial Started' });
    expect(await getDb().db.selectFrom('lead_visitors').selectAll().where('visitor_id', '=', anonymousId).execute()).toEqual([]);
  });

  it(`keeps identify's guardrails: one client creates at most ${MAX_NEW_LEADS_PER_CLIENT_PER_HOUR} leads an hour, and a browser naming another email switches to it with a log entry`, async () => {
    const emails = Array.from({ length: MAX_NEW_LEADS_PER_CLIENT_PER_HOUR + 5 }, (_, i) => `made-up-${i}-${randomUUID().slice(0, 8)}@fernhill.example`);
    await send('198.51.100.90', 'batch', { batch: emails.map((userId) => ({ type: 'track', anonymousId: randomUUID(), userId, event: 'Trial Started' })) });
    const made = await getDb().db.selectFrom('leads').select('email').where('email', 'in', emails).execute();
    expect(made).toHaveLength(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);

    const anonymousId = randomUUID();
    const [first, second] = [`one-${randomUUID().slice(0, 8)}@fernhill.example`, `two-${randomUUID().slice(0, 8)}@fernhill.example`];
    await send('203.0.113.22', 'page', { anonymousId, userId: first, name: 'Home', timestamp: earlier() });
    await send('203.0.113.22', 'track', { anonymousId, userId: second, event: 'Trial Started' });
    const [a, b] = [await leadOf(first), await leadOf(second)];
    expect(b.visitorIds).toEqual([anonymousId]);
    const log = await getDb().db.selectFrom('identity_log').select(['kind', 'lead_id', 'other_lead_id']).where('visitor_id', '=', anonymousId).orderBy('at').execute();
    expect(log).toEqual([
      { kind: 'linked', lead_id: a.id, other_lead_id: null },
      { kind: 'switched', lead_id: b.id, other_lead_id: a.id },
    ]);
  });
});
