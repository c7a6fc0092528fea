import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';
import { stageAfterFeedback } from './feedback.js';

const DAY = 86_400_000;

describeEachDialect('sales feedback', (getDb) => {
  const at = (now: number) => testApp(getDb().db, () => now);
  const json = async (res: Response | Promise<Response>) => (await res).json();
  const feedback = (now: number, leadId: string, body: unknown) =>
    at(now).request(`/v1/leads/${leadId}/feedback`, { method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });

  /** A lead that a demo request (a hand-raiser to SQL in the test rules) or a threshold qualified. */
  async function qualifiedLead(now: number, form = 'contact') {
    const visitorId = 'v_' + newId();
    const sessionId = 'sess_' + newId();
    const email = `fb-${newId()}@fernhill.example`;
    const events = [
      makeEvent({ visitorId, sessionId, ts: now - 3000, type: 'form', name: form, traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/form` }),
      makeEvent({ visitorId, sessionId, ts: now - 2000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
      makeEvent({ visitorId, sessionId, ts: now - 1000, type: 'download', name: 'a.pdf' }),
    ];
    await postBatch(at(now), { site: 'scored', sentAt: now, events });
    const { leads } = await json(getWithKey(at(now), `/v1/leads?email=${email}`));
    return { lead: leads[0], visitorId, sessionId };
  }

  it('accepted moves an MQL to SQL, records who said so and how fast sales answered', async () => {
    const t0 = Date.now() - DAY;
    const { lead } = await qualifiedLead(t0);
    expect(lead.stage).toBe('mql');
    const hook = await at(t0).request('/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: 'https://crm.example/never-called', events: ['lead.stage_changed'], site: 'scored' }),
      headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' },
    });
    const res = await feedback(t0 + 45 * 60_000, lead.id, { type: 'accepted', by: 'sam@northwind.example' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.feedback).toMatchObject({ type: 'accepted', from: 'mql', to: 'sql' });
    // From the handover (t0, when the beacon that qualified the lead arrived) to the answer.
    expect(body.feedback.responseSeconds).toBe(45 * 60);
    expect(body.lead.stage).toBe('sql');
    expect(body.lead.stageHistory.at(-1)).toMatchObject({ from: 'mql', to: 'sql', cause: 'feedback:accepted', source: 'api' });
    // Only the first answer after the handover counts as the response time.
    const second = await json(feedback(t0 + 50 * 60_000, lead.id, { type: 'contacted' }));
    expect(second.feedback).toMatchObject({ type: 'contacted', from: 'sql', to: 'sql', responseSeconds: null });
    // Recorded in the history, but no stage change: no webhook delivery for it.
    const deliveries = await getDb().db.selectFrom('webhook_deliveries').select('payload').where('lead_id', '=', lead.id).execute();
    expect(deliveries.map((d) => JSON.parse(d.payload).change).map((c: any) => `${c.from}>${c.to}`)).toEqual(['mql>sql']);
    await at(t0).request(`/v1/webhooks/${(await hook.json()).id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    const report = await json(getWithKey(at(t0 + DAY / 2), `/v1/reports/speed-to-lead?site=scored&since=${new Date(t0 - 10_000).toISOString()}`));
    // The one handover so far, answered after 45 min (exact figures: reports/speedToLeadRoute.test.ts).
    expect(report).toEqual({ since: new Date(t0 - 10_000).toISOString(), handovers: 1, answered: 1, unanswered: 0, responseSeconds: { median: 2700, p90: 2700 }, answeredWithinHour: 1 });
    const badSince = await getWithKey(at(t0), '/v1/reports/speed-to-lead?since=yesterday');
    expect(badSince.status).toBe(400);
    expect((await badSince.json()).error).toMatchObject({ code: 'invalid_request', field: 'since', message: 'since: an ISO 8601 time' });
  });

  it('counts the response time from the handover to sales, not from a later MQL → SQL step by scoring', async () => {
    const t0 = Date.now() - DAY;
    const { lead, visitorId, sessionId } = await qualifiedLead(t0);
    expect(lead.stage).toBe('mql');
    // An hour after the handover, the lead asks for a demo (a hand-raiser): scoring takes it to SQL.
    const demo = makeEvent({ visitorId, sessionId, ts: t0 + 60 * 60_000, type: 'form', name: 'demo-request', traits: { email: lead.email }, url: `${DEMO_ORIGIN}/demo` });
    await postBatch(at(t0 + 60 * 60_000), { site: 'scored', sentAt: t0 + 60 * 60_000, events: [demo] });
    expect((await json(getWithKey(at(t0 + 60 * 60_000), `/v1/leads/${lead.id}`))).stage).toBe('sql');
    const res = await feedback(t0 + 90 * 60_000, lead.id, { type: 'contacted' });
    expect(res.status).toBe(200);
    // From the MQL handover (t0, when its beacon arrived) to the answer, not the 30 minutes since the demo request.
    expect((await res.json()).feedback.responseSeconds).toBe(90 * 60);
  });

  it('rejected needs a reason, recycles the lead to nurture, and the next page view does not bounce it back', async () => {
    const t0 = Date.now() - 2 * DAY;
    const { lead, visitorId, sessionId } = await qualifiedLead(t0);
    const missing = await feedback(t0 + 1000, lead.id, { type: 'rejected' });
    expect(missing.status).toBe(400);
    const { error } = await missing.json();
    expect(error).toMatchObject({ code: 'invalid_request', field: 'reason' });
    expect(error.message).toMatch(/^reason:/);
    const res = await json(feedback(t0 + 2000, lead.id, { type: 'rejected', reason: 'not_ready' }));
    expect(res.lead.stage).toBe('recycled');
    expect(res.lead.stageHistory.at(-1)).toMatchObject({ from: 'mql', to: 'recycled', cause: 'feedback:rejected:not_ready', source: 'api' });
    await postBatch(at(t0 + 5000), { site: 'scored', sentAt: t0 + 5000, events: [makeEvent({ visitorId, sessionId, ts: t0 + 4000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` })] });
    expect((await json(getWithKey(at(t0 + 6000), `/v1/leads/${lead.id}`))).stage).toBe('recycled');
    // A hand-raiser qualifies it again at once.
    await postBatch(at(t0 + 8000), {
      site: 'scored',
      sentAt: t0 + 8000,
      events: [makeEvent({ visitorId, sessionId, ts: t0 + 7000, type: 'form', name: 'demo-request', traits: { email: lead.email }, url: `${DEMO_ORIGIN}/demo` })],
    });
    const again = await json(getWithKey(at(t0 + 9000), `/v1/leads/${lead.id}`));
    expect(again.stage).toBe('sql');
    expect(again.stageHistory.at(-1)).toMatchObject({ from: 'recycled', to: 'sql', cause: 'rule:demo-request', source: 'scoring' });
  });

  it('walks an accepted lead through opportunity to customer, and a lost deal back to nurture', async () => {
    const t0 = Date.now() - DAY;
    const { lead } = await qualifiedLead(t0);
    await feedback(t0 + 1, lead.id, { type: 'accepted' });
    expect((await json(feedback(t0 + 2, lead.id, { type: 'opportunity' }))).lead.stage).toBe('opportunity');
    expect((await json(feedback(t0 + 3, lead.id, { type: 'won' }))).lead.stage).toBe('customer');
    const other = (await qualifiedLead(t0)).lead;
    await feedback(t0 + 1, other.id, { type: 'accepted' });
    const lost = await json(feedback(t0 + 2, other.id, { type: 'lost', reason: 'went with a competitor' }));
    expect(lost.lead.stage).toBe('recycled');
  });

  it('answers 409 for a transition that cannot happen, 404 for no such lead, 401 without the key', async () => {
    const t0 = Date.now() - DAY;
    const { lead } = await qualifiedLead(t0);
    const res = await feedback(t0 + 1, lead.id, { type: 'won' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'conflict', message: 'a mql lead cannot be marked won; allowed from: sql, opportunity' } });
    const missing = await feedback(t0, 'ld_nope', { type: 'accepted' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'id: no lead "ld_nope"', field: 'id' } });
    const unauthorized = await at(t0).request(`/v1/leads/${lead.id}/feedback`, { method: 'POST', body: '{"type":"accepted"}' });
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error).toMatchObject({ code: 'unauthorized', field: 'authorization' });
    const praised = await feedback(t0, lead.id, { type: 'praised' });
    expect(praised.status).toBe(400);
    expect((await praised.json()).error).toMatchObject({ code: 'invalid_request', field: 'type' });
    const notJson = await at(t0).request(`/v1/leads/${lead.id}/feedback`, { method: 'POST', body: '{', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'invalid_request', message: 'body is not valid JSON' } });
  });
});

it('feedback rules: disqualify on rejection when sales says so; nothing leaves a disqualified lead but…', () => {
  expect(stageAfterFeedback('sql', { type: 'rejected', reason: 'bad_fit', outcome: 'disqualify' })).toEqual({ stage: 'disqualified' });
  expect(stageAfterFeedback('disqualified', { type: 'accepted' })).toHaveProperty('error');
  expect(stageAfterFeedback('recycled', { type: 'accepted' })).toEqual({ stage: 'sql' });
});
