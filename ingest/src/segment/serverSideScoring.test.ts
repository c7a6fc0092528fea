import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, getWithKey } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/loadConfig.js';

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/** The shipped demo rule set scoring what other systems send: an email tool, a webinar tool, a CRM, a calendar. */
describeEachDialect('server-side events in the demo rule set', (getDb) => {
  const config = loadConfig(DEFAULT_CONFIG_PATH, { DEMO_PORT: '3000' });
  const app = () => createApp({ db: getDb().db, config, secretKey: TEST_SECRET_KEY });
  const send = (body: unknown, authorization = basic('demo')) =>
    app().request('/v1/batch', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', 'User-Agent': 'node', Authorization: authorization } });
  const json = async (res: Response | Promise<Response>) => (await res).json();

  it("scores email, webinar and trial events, fit from CRM traits, and a booked meeting qualifies at once when the calendar's server says so", async () => {
    const userId = `crm-${randomUUID()}`;
    const email = `sam-${randomUUID().slice(0, 8)}@fernhill.example`;
    const at = (minutes: number) => new Date(Date.now() - 60 * 60_000 + minutes * 60_000).toISOString();
    const res = await send({
      batch: [
        { type: 'identify', userId, traits: { email, jobTitle: 'Financial Controller', companySize: '51-200', country: 'DE' }, timestamp: at(0) },
        { type: 'track', userId, event: 'Email Opened', timestamp: at(1) },
        { type: 'track', userId, event: 'Email Link Clicked', timestamp: at(2) },
        { type: 'track', userId, event: 'Webinar Attended', timestamp: at(3) },
      ],
      sentAt: new Date().toISOString(),
    });
    expect(res.status).toBe(200);
    const [lead] = (await json(getWithKey(app(), `/v1/leads?email=${email}`))).leads;
    // Fit from the CRM's traits: finance role +20, target size +15 (capped at 50 in all).
    expect(lead.score.fit).toBe(35);
    const score = await json(getWithKey(app(), `/v1/leads/${lead.id}/score`));
    expect(score.items.filter((i: any) => i.eventId).map((i: any) => i.ruleId).sort()).toEqual(['email-link-clicked', 'email-opened', 'webinar-attended'].sort());
    expect(lead.stage).toBe('lead');

    // The public site key can be used by anyone: a meeting it reports qualifies nobody.
    expect((await send({ batch: [{ type: 'track', userId, event: 'Meeting Booked', timestamp: at(4) }], sentAt: new Date().toISOString() })).status).toBe(200);
    const forged = (await json(getWithKey(app(), `/v1/leads?email=${email}`))).leads[0];
    expect(forged.stage).toBe('lead');
    expect((await json(getWithKey(app(), `/v1/leads/${lead.id}/score`))).items.map((i: any) => i.ruleId)).not.toContain('meeting-booked');
    // The calendar tool's server, with the secret key.
    const trusted = await send({ context: { site: 'demo' }, batch: [{ type: 'identify', userId, traits: { email }, timestamp: at(5) }, { type: 'track', userId, event: 'Meeting Booked', timestamp: at(5) }], sentAt: new Date().toISOString() }, `Bearer ${TEST_SECRET_KEY}`);
    expect(trusted.status).toBe(200);
    const after = (await json(getWithKey(app(), `/v1/leads?email=${email}`))).leads[0];
    expect(after.stage).toBe('sql');
    // In a full replay too: whether the event came with the secret key is stored with it.
    await app().request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await json(getWithKey(app(), `/v1/leads/${lead.id}/score`))).items.filter((i: any) => i.ruleId === 'meeting-booked')).toHaveLength(1);
    expect(after.stageHistory.at(-1)).toMatchObject({ to: 'sql', cause: 'rule:meeting-booked' });
  });

  it('takes points away for unopened mails, and for a country outside the service area', async () => {
    const userId = `crm-${randomUUID()}`;
    const email = `lee-${randomUUID().slice(0, 8)}@fernhill.example`;
    await send({ batch: [{ type: 'identify', userId, traits: { email, jobTitle: 'CFO', country: 'US' } }, { type: 'track', userId, event: 'Emails Not Opened' }], sentAt: new Date().toISOString() });
    const [lead] = (await json(getWithKey(app(), `/v1/leads?email=${email}`))).leads;
    expect(lead.score.fit).toBe(20 - 20);
    const score = await json(getWithKey(app(), `/v1/leads/${lead.id}/score`));
    expect(score.items.find((i: any) => i.ruleId === 'emails-not-opened')).toMatchObject({ points: -10 });
  });
});
