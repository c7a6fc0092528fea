import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

describeEachDialect('trusted traits from server-side calls', (getDb) => {
  const app = () => testApp(getDb().db);
  const json = async (res: Response | Promise<Response>) => (await res).json();
  const crm = (body: unknown, auth = `Bearer ${TEST_SECRET_KEY}`) =>
    app().request('/v1/identify', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', 'User-Agent': 'node', Authorization: auth } });
  const leadOf = async (email: string) => (await json(getWithKey(app(), `/v1/leads?email=${email}`))).leads[0];

  it("a public site key naming the userId a CRM linked is not that visitor: it cannot change traits the person's own browser cannot", async () => {
    const email = `su-${newId()}@fernhill.example`;
    const userId = `crm-${randomUUID()}`;
    expect((await crm({ userId, traits: { email, name: 'Ana Kovac' }, context: { site: 'scored' } })).status).toBe(200);
    const browser = 'v_' + newId();
    const form = (jobTitle: string, ago: number) => makeEvent({ visitorId: browser, sessionId: `s-${browser}`, ts: Date.now() - ago, type: 'form', name: 'contact', traits: { email, jobTitle }, url: `${DEMO_ORIGIN}/contact` });
    await postBatch(app(), { site: 'scored', events: [form('CFO', 60_000)] });
    await postBatch(app(), { site: 'scored', events: [form('Controller', 30_000)] });
    expect((await leadOf(email)).traits.jobTitle).toBe('CFO');
    // Anyone may send Segment calls with the site key: the same userId gives them a visitor of their own.
    const site = `Basic ${Buffer.from('scored:').toString('base64')}`;
    expect((await crm({ userId, traits: { email, jobTitle: 'Intern', name: 'Pwned' } }, site)).status).toBe(200);
    expect((await leadOf(email)).traits).toMatchObject({ jobTitle: 'CFO', name: 'Ana Kovac' });
    // Nor may it name the CRM's visitor itself.
    const crmVisitor = (await leadOf(email)).visitorIds.find((v: string) => v.startsWith('su_'));
    const named = await crm({ anonymousId: crmVisitor, traits: { email, jobTitle: 'Intern' } }, site);
    expect(named.status).toBe(400);
    expect((await named.json()).error.field).toBe('anonymousId');
    expect((await leadOf(email)).traits.jobTitle).toBe('CFO');
  });

  it('a claimant browser a CRM then names (its anonymousId) may change traits from then on', async () => {
    const email = `vouch-${newId()}@fernhill.example`;
    const first = 'v_' + newId();
    const phone = 'v_' + newId();
    const form = (visitorId: string, jobTitle: string, ago: number) => makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts: Date.now() - ago, type: 'form', name: 'contact', traits: { email, jobTitle }, url: `${DEMO_ORIGIN}/contact` });
    await postBatch(app(), { site: 'scored', events: [form(first, 'CFO', 90_000)] });
    await postBatch(app(), { site: 'scored', events: [form(phone, 'Controller', 60_000)] });
    expect((await leadOf(email)).traits.jobTitle).toBe('CFO');
    expect((await json(getWithKey(app(), `/v1/visitors/${phone}`))).ownsLeadTraits).toBe(false);
    expect((await crm({ anonymousId: phone, traits: { email }, context: { site: 'scored' } })).status).toBe(200);
    expect((await json(getWithKey(app(), `/v1/visitors/${phone}`))).ownsLeadTraits).toBe(true);
    await postBatch(app(), { site: 'scored', events: [form(phone, 'Controller', 30_000)] });
    expect((await leadOf(email)).traits.jobTitle).toBe('Controller');
  });

  it('a CRM (an API key) changes what a browser form said, and no browser changes it back; a rescore agrees', async () => {
    const email = `crm-${newId()}@fernhill.example`;
    const browser = 'v_' + newId();
    const form = (jobTitle: string, ts: number) =>
      makeEvent({ visitorId: browser, sessionId: `s-${browser}`, ts, type: 'form', name: 'contact', traits: { email, jobTitle }, url: `${DEMO_ORIGIN}/contact` });
    await postBatch(app(), { site: 'scored', events: [form('Intern', Date.now() - 60_000)] });
    expect((await leadOf(email)).traits.jobTitle).toBe('Intern');

    const res = await crm({ userId: `crm-${randomUUID()}`, traits: { email, jobTitle: 'CFO' }, context: { site: 'scored' } });
    expect(res.status).toBe(200);
    const lead = await leadOf(email);
    expect(lead.traits.jobTitle).toBe('CFO');
    expect(lead.score.fit).toBe(15);

    // The person's own browser later types something else: the CRM's value stands.
    await postBatch(app(), { site: 'scored', events: [form('Analyst', Date.now() - 1000)] });
    expect((await leadOf(email)).traits.jobTitle).toBe('CFO');
    await app().request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    const rescored = await leadOf(email);
    expect(rescored.traits.jobTitle).toBe('CFO');
    expect(rescored.score.fit).toBe(15);
    const changes = await getDb().db.selectFrom('trait_changes').select(['value', 'source', 'accepted']).where('lead_id', '=', lead.id).where('trait', '=', 'jobTitle').orderBy('source').execute();
    expect(changes).toEqual([
      { value: 'CFO', source: 'api:identify', accepted: 1 },
      { value: 'Analyst', source: 'form:contact', accepted: 0 },
    ]);
  });

  it('the public site key is no trusted source: its identify cannot change a known trait', async () => {
    const email = `pub-${newId()}@fernhill.example`;
    const browser = 'v_' + newId();
    await postBatch(app(), { site: 'scored', events: [makeEvent({ visitorId: browser, sessionId: `s-${browser}`, ts: Date.now() - 60_000, type: 'form', name: 'contact', traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/contact` })] });
    const res = await crm({ userId: `x-${randomUUID()}`, traits: { email, jobTitle: 'Intern' } }, `Basic ${Buffer.from('scored:').toString('base64')}`);
    expect(res.status).toBe(200);
    expect((await leadOf(email)).traits.jobTitle).toBe('CFO');
  });
});
