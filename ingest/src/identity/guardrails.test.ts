import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, testConfig } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { createApp } from '../app.js';
import { readLimits } from '../limits/readLimits.js';
import { guardTraits, MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR, MAX_NEW_LEADS_PER_CLIENT_PER_HOUR } from './guardrails.js';
import { collectFromClients } from '../../../test/support/loopbackServers.js';

describe('guardTraits', () => {
  it('lets the lead’s own browsers change traits, and a newly claiming browser only add missing ones', () => {
    expect(guardTraits({ jobTitle: 'CFO' }, { email: 'a@b.example', jobTitle: 'Intern', phone: '1' }, false)).toEqual({
      kept: { email: 'a@b.example', phone: '1' },
      decisions: [
        { trait: 'jobTitle', value: 'Intern', previous: 'CFO', accepted: false },
        { trait: 'phone', value: '1', previous: null, accepted: true },
      ],
    });
    expect(guardTraits({ jobTitle: 'CFO' }, { jobTitle: 'Controller' }, true).kept).toEqual({ jobTitle: 'Controller' });
  });
});

/**
 * The attacks of a security probe, each from one client. Clients are told apart by address:
 * the app trusts the loopback proxy, so each request's `X-Forwarded-For` is its client.
 */
describeEachDialect('identity guardrails against one client', (getDb) => {
  const json = async (res: Response | Promise<Response>) => (await res).json();
  const app = () => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits: { perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'] } });
  const collect = collectFromClients(app);
  const post = async (client: string, events: TrackedEvent[]) => {
    const res = await collect(client, events);
    expect(res.status).toBe(200);
    return res.json();
  };
  const form = (visitorId: string, traits: Record<string, string>, type: 'form' | 'identify' = 'form') =>
    makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts: Date.now() - 1000, type, name: type === 'form' ? 'contact' : undefined, traits, url: `${DEMO_ORIGIN}/contact` });
  const leadOf = async (email: string) => (await json(getWithKey(app(), `/v1/leads?email=${encodeURIComponent(email)}`))).leads[0];

  it('a stranger who knows the email cannot rewrite the person’s job title, company or phone, and every attempt is kept with its source', async () => {
    const email = `ana-${newId()}@fernhill.example`;
    await post('203.0.113.10', [form('v_' + newId(), { email, jobTitle: 'CFO', company: 'Fernhill', phone: '+44 20 7946 0001' })]);
    const before = await leadOf(email);
    expect(before.score.fit).toBe(15);
    const attacker = 'v_' + newId();
    await post('198.51.100.66', [form(attacker, { email: ` ${email.toUpperCase()} `, jobTitle: 'Intern', company: 'Evil Corp', phone: '+1 555 0100', country: 'Atlantis' })]);
    const after = await leadOf(email);
    expect(after.traits).toMatchObject({ jobTitle: 'CFO', company: 'Fernhill', phone: '+44 20 7946 0001', country: 'Atlantis' });
    expect(after.score.fit).toBe(15);
    // A full replay from the stored events agrees: the refused values are not in them.
    await app().request(`/v1/admin/rescore?lead=${after.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadOf(email)).traits).toMatchObject({ jobTitle: 'CFO', company: 'Fernhill' });
    const changes = await getDb().db.selectFrom('trait_changes').selectAll().where('lead_id', '=', after.id).orderBy('trait').execute();
    expect(changes.map((c) => [c.trait, c.value, c.accepted, c.source, c.visitor_id])).toEqual([
      ['company', 'Evil Corp', 0, 'form:contact', attacker],
      ['country', 'Atlantis', 1, 'form:contact', attacker],
      ['jobTitle', 'Intern', 0, 'form:contact', attacker],
      ['phone', '+1 555 0100', 0, 'form:contact', attacker],
    ]);
    // The person's own browser may still change them.
    const own = before.visitorIds[0];
    await post('203.0.113.10', [form(own, { email, jobTitle: 'Controller' })]);
    expect((await leadOf(email)).traits.jobTitle).toBe('Controller');
  });

  it('a browser linked by claiming a known email stays a claimant: its later requests cannot change known traits either', async () => {
    const email = `ana-${newId()}@fernhill.example`;
    await post('203.0.113.11', [form('v_' + newId(), { email, name: 'Ana Kovac', jobTitle: 'CFO', company: 'Fernhill' })]);
    const before = await leadOf(email);
    const attacker = 'v_' + newId();
    await post('198.51.100.67', [form(attacker, { email, jobTitle: 'Intern' })]);
    expect((await leadOf(email)).visitorIds).toContain(attacker);
    // The same browser again, now linked: a form, then an identify call.
    await post('198.51.100.67', [form(attacker, { email, jobTitle: 'Intern', company: 'Evil Corp', name: 'Pwned' })]);
    await post('198.51.100.67', [form(attacker, { email, jobTitle: 'Intern', company: 'Evil Corp', name: 'Pwned', industry: 'Gambling' }, 'identify')]);
    const after = await leadOf(email);
    expect(after.traits).toMatchObject({ name: 'Ana Kovac', jobTitle: 'CFO', company: 'Fernhill', industry: 'Gambling' });
    expect(after.score.fit).toBe(before.score.fit);
    // The browser that made the lead still may.
    await post('203.0.113.11', [form(before.visitorIds[0], { email, jobTitle: 'Controller' })]);
    expect((await leadOf(email)).traits.jobTitle).toBe('Controller');
  });

  it('a claimant cannot change known traits with forms that carry no email, in the claiming batch or later, nor with a mistyped email, nor with its older anonymous forms', async () => {
    const email = `ana-${newId()}@fernhill.example`;
    const at = (ts: number, e: TrackedEvent) => ({ ...e, ts });
    await post('203.0.113.12', [at(Date.now() - 120_000, form('v_' + newId(), { email, name: 'Ana Kovac', jobTitle: 'CFO', company: 'Fernhill' }))]);
    const before = await leadOf(email);
    const attacker = 'v_' + newId();
    // Anonymous first, after the person's form: a form that names nobody, stored before the claim.
    await post('198.51.100.68', [at(Date.now() - 60_000, form(attacker, { company: 'Early Evil Ltd' }))]);
    // Then one batch: the claim, a form without an email, an identify with a junk email.
    await post('198.51.100.68', [
      at(Date.now() - 3000, form(attacker, { email })),
      at(Date.now() - 2000, form(attacker, { jobTitle: 'Student', company: 'Nobody Ltd', name: 'Rewritten' })),
      at(Date.now() - 1000, form(attacker, { email: 'test@test', name: 'Junk' }, 'identify')),
    ]);
    await post('198.51.100.68', [form(attacker, { jobTitle: 'Intern', industry: 'Gambling' })]);
    const known = { email, name: 'Ana Kovac', jobTitle: 'CFO', company: 'Fernhill' };
    const after = await leadOf(email);
    expect(after.visitorIds).toContain(attacker);
    expect(after.traits).toMatchObject({ ...known, industry: 'Gambling' });
    expect(after.score.fit).toBe(before.score.fit);
    // A full replay from the stored events agrees.
    await app().request(`/v1/admin/rescore?lead=${after.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadOf(email)).traits).toMatchObject({ ...known, industry: 'Gambling' });
    // Every attempt on the lead is on record, refused.
    const refused = await getDb().db.selectFrom('trait_changes').select(['trait', 'value']).where('lead_id', '=', after.id).where('accepted', '=', 0).execute();
    expect(refused).toEqual(expect.arrayContaining([{ trait: 'jobTitle', value: 'Student' }, { trait: 'company', value: 'Nobody Ltd' }, { trait: 'name', value: 'Rewritten' }, { trait: 'name', value: 'Junk' }, { trait: 'jobTitle', value: 'Intern' }]));
    // The person's own browser still changes them with a form that has no email field.
    await post('203.0.113.12', [form(before.visitorIds[0], { jobTitle: 'Controller' })]);
    expect((await leadOf(email)).traits).toMatchObject({ jobTitle: 'Controller', company: 'Fernhill', email });
  });

  it('a claimant that switches to another lead still only filled the claimed lead’s gaps: its window there replays as a claimant’s', async () => {
    const email = `ana-${newId()}@fernhill.example`;
    const at = (ts: number, e: TrackedEvent) => ({ ...e, ts });
    await post('203.0.113.13', [at(Date.now() - 120_000, form('v_' + newId(), { email, jobTitle: 'CFO', company: 'Fernhill' }))]);
    const attacker = 'v_' + newId();
    await post('198.51.100.69', [at(Date.now() - 60_000, form(attacker, { company: 'Evil Ltd', jobTitle: 'Intern' }))]);
    await post('198.51.100.69', [at(Date.now() - 30_000, form(attacker, { email }))]);
    // The browser moves on to a new lead: its claim becomes an earlier link of the first.
    await post('198.51.100.69', [at(Date.now() - 10_000, form(attacker, { email: `new-${newId()}@elsewhere.example` }))]);
    const lead = await leadOf(email);
    expect(lead.traits).toMatchObject({ email, jobTitle: 'CFO', company: 'Fernhill' });
    await app().request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadOf(email)).traits).toMatchObject({ email, jobTitle: 'CFO', company: 'Fernhill' });
  });

  it(`a form naming a person whose lead could not be made gives the browser's own lead none of its traits`, async () => {
    const client = '203.0.113.31';
    const desk = 'v_' + newId();
    const colleague = `cal-${newId()}@fernhill.example`;
    await post(client, [form(desk, { email: colleague, jobTitle: 'Controller' })]);
    // The office's address makes its leads for the hour.
    await post(client, Array.from({ length: MAX_NEW_LEADS_PER_CLIENT_PER_HOUR }, () => form('v_' + newId(), { email: `x-${newId()}@fernhill.example` })));
    const person = `pat-${newId()}@fernhill.example`;
    await post(client, [form(desk, { email: person, phone: '+44 20 7946 0999', company: 'Pat & Co', jobTitle: 'Buyer' })]);
    expect(await leadOf(person)).toBeUndefined();
    const lead = await leadOf(colleague);
    expect(lead.traits).toEqual({ email: colleague, jobTitle: 'Controller' });
    await app().request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadOf(colleague)).traits).toEqual({ email: colleague, jobTitle: 'Controller' });
  });

  it(`a burst of made-up browsers from one client links at most ${MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR}, and the person’s real next device still links`, async () => {
    const email = `bo-${newId()}@fernhill.example`;
    await post('203.0.113.20', [form('v_' + newId(), { email })]);
    const burst = Array.from({ length: 60 }, () => form('v_' + newId(), { email }, 'identify'));
    await post('198.51.100.77', burst);
    const lead = await leadOf(email);
    expect(lead.visitorIds).toHaveLength(1 + MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR);
    expect(lead.identityLog.filter((l: any) => l.kind === 'refused').length).toBe(60 - MAX_NEW_BROWSERS_PER_LEAD_PER_CLIENT_PER_HOUR);
    const realPhone = 'v_' + newId();
    await post('192.0.2.30', [form(realPhone, { email }, 'identify')]);
    expect((await leadOf(email)).visitorIds).toContain(realPhone);
  });

  it(`one request of 500 made-up emails creates at most ${MAX_NEW_LEADS_PER_CLIENT_PER_HOUR} leads, and other clients still create theirs`, async () => {
    const tag = newId();
    const events = Array.from({ length: 500 }, (_, i) => form('v_' + newId(), { email: `fake-${tag}-${i}@spam.example` }, 'identify'));
    const body = await post('198.51.100.88', events);
    expect(body.accepted).toBe(500);
    const created = await getDb().db.selectFrom('leads').select('id').where('email', 'like', `fake-${tag}-%`).execute();
    expect(created).toHaveLength(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);
    const real = `real-${tag}@fernhill.example`;
    await post('203.0.113.40', [form('v_' + newId(), { email: real })]);
    expect(await leadOf(real)).toBeDefined();
  });

  it('back-dated events cannot buy points: an event from weeks ago earns less than one from now', async () => {
    const [old, fresh] = [`old-${newId()}@fernhill.example`, `fresh-${newId()}@fernhill.example`];
    const download = (v: string, ago: number) => makeEvent({ visitorId: v, sessionId: `s-${v}`, ts: Date.now() - ago, type: 'download', name: 'a.pdf' });
    const [v1, v2] = ['v_' + newId(), 'v_' + newId()];
    await post('203.0.113.50', [form(v1, { email: old }), download(v1, 29 * 86_400_000)]);
    await post('203.0.113.51', [form(v2, { email: fresh }), download(v2, 1000)]);
    const [a, b] = [await leadOf(old), await leadOf(fresh)];
    expect(a.score.engagement).toBeLessThan(b.score.engagement);
    expect(a.score.engagement).toBeLessThan(10 * 0.6);
  });
});

/**
 * Behind nginx or Caddy on the same host, every request comes from loopback. With the server's
 * defaults (no `LEADBEAM_TRUSTED_PROXIES`) the proxy's `X-Forwarded-For` names the client, so
 * the per-client limits hold; only this machine itself, sending without that header, is exempt.
 */
describeEachDialect('identity guardrails behind a proxy on this host, with the default settings', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  /** The app as `startIngest` makes it from this environment, on a loopback socket. */
  const listen = async (env: Record<string, string> = {}) => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits: readLimits(env) });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (events: TrackedEvent[], headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/v1/collect`, {
        method: 'POST',
        body: JSON.stringify({ site: 'scored', sentAt: Date.now(), events }),
        headers: { 'Content-Type': 'text/plain', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA, ...headers },
      });
      const answer = await res.text();
      expect(res.status, answer).toBe(200);
      expect(JSON.parse(answer).rejected, answer).toEqual([]);
    };
  };
  const madeUp = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => makeEvent({ visitorId: `v_${newId()}`, ts: Date.now() - 1000, type: 'identify', traits: { email: `made-up-${tag}-${i}@spam.example` } }));
  const leadsOf = async (tag: string) => (await getDb().db.selectFrom('leads').select('id').where('email', 'like', `made-up-${tag}-%`).execute()).length;

  it(`one request of 200 made-up emails forwarded for a public client creates at most ${MAX_NEW_LEADS_PER_CLIENT_PER_HOUR} leads`, async () => {
    const post = await listen();
    const tag = newId();
    await post(madeUp(tag, 200), { 'X-Forwarded-For': '198.51.100.150' });
    expect(await leadsOf(tag)).toBeLessThanOrEqual(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);
    expect(await leadsOf(tag)).toBeGreaterThan(0);
  });

  it('a forwarded address that claims to be this machine is limited like any other client', async () => {
    const post = await listen();
    const tag = newId();
    for (const claimed of ['127.0.0.1', '::1']) await post(madeUp(`${tag}${claimed}`, 40), { 'X-Forwarded-For': claimed });
    expect(await leadsOf(`${tag}127.0.0.1`)).toBeLessThanOrEqual(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);
    expect(await leadsOf(`${tag}::1`)).toBeLessThanOrEqual(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);
  });

  it(`an IPv6 client is its /64: 40 addresses of one /64 create at most ${MAX_NEW_LEADS_PER_CLIENT_PER_HOUR} leads`, async () => {
    const post = await listen();
    const tag = newId();
    const events = madeUp(tag, 40);
    for (const [i, event] of events.entries()) await post([event], { 'X-Forwarded-For': `2001:db8:77:1:${(i + 1).toString(16)}::${i + 1}` });
    expect(await leadsOf(tag)).toBe(MAX_NEW_LEADS_PER_CLIENT_PER_HOUR);
  });

  it('this machine sending directly (no X-Forwarded-For) is not limited, nor is anything when LEADBEAM_TRUSTED_PROXIES is set empty', async () => {
    const direct = await listen();
    const tag = newId();
    await direct(madeUp(tag, 40));
    expect(await leadsOf(tag)).toBe(40);
    // An explicit value replaces the default: nothing trusted, so the forwarded address is ignored.
    const untrusting = await listen({ LEADBEAM_TRUSTED_PROXIES: '' });
    const other = newId();
    await untrusting(madeUp(other, 40), { 'X-Forwarded-For': '198.51.100.151' });
    expect(await leadsOf(other)).toBe(40);
  });
});
