import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SCORING, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import { speedToLead } from './speedToLead.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Two sites under the test rules (a CFO who sees pricing and downloads is an MQL at the download). */
const config = parseConfig(
  {
    sites: ['scored', 'scored2', 'quiet'].map((key) => ({ key, allowedOrigins: [DEMO_ORIGIN], pages: [{ match: '/pricing', stage: 'bottom', category: 'pricing' }], scoring: TEST_SCORING })),
  },
  'speed to lead route test',
);

describeEachDialect('GET /v1/reports/speed-to-lead', (getDb) => {
  const T = Math.floor(Date.now() / MIN) * MIN - DAY;
  const since = T - HOUR;
  const now = T + 3 * HOUR;
  const at = (ms: number) => createApp({ db: getDb().db, config, secretKey: TEST_SECRET_KEY, now: () => ms });
  const post = (ms: number, path: string, body: unknown) =>
    at(ms).request(path, { method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
  const report = async (query: string) => {
    const res = await getWithKey(at(now), `/v1/reports/speed-to-lead${query}`);
    expect(res.status).toBe(200);
    return res.json();
  };

  /** A lead handed to sales (MQL by scoring) at `ms` exactly: its download crosses the threshold. */
  async function mqlAt(ms: number, site = 'scored') {
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    const email = `stl-${newId()}@fernhill.example`;
    const events = [
      makeEvent({ ...v, ts: ms - 2000, type: 'form', name: 'contact', traits: { email, jobTitle: 'CFO' }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
      makeEvent({ ...v, ts: ms - 1000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
      makeEvent({ ...v, ts: ms, type: 'download', name: 'a.pdf' }),
    ];
    expect((await postBatch(at(ms), { site, sentAt: ms, events })).status).toBe(200);
    const lead = await getDb().db.selectFrom('leads').select(['id', 'stage']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(lead.stage).toBe('mql');
    const handover = await getDb().db.selectFrom('stage_changes').select('at').where('lead_id', '=', lead.id).where('handover', '=', 1).executeTakeFirstOrThrow();
    expect(Number(handover.at)).toBe(ms);
    return { id: lead.id, ...v, email };
  }
  const answer = async (leadId: string, ms: number) => expect((await post(ms, `/v1/leads/${leadId}/feedback`, { type: 'contacted' })).status).toBe(200);

  beforeAll(async () => {
    // Before the period: handed over and answered in it, counted only with the default 30 days.
    const early = await mqlAt(since - 30 * MIN);
    await answer(early.id, T);
    // Site `scored`, in the period: answered after 5 min, 20 min, exactly 60 min and 90 min.
    const fast = await mqlAt(T);
    // A demo request two minutes later: scoring takes it on to SQL, the same handover (not a second one).
    const demo = makeEvent({ visitorId: fast.visitorId, sessionId: fast.sessionId, ts: T + 2 * MIN, type: 'form', name: 'demo-request', traits: { email: fast.email }, url: `${DEMO_ORIGIN}/demo` });
    expect((await postBatch(at(T + 2 * MIN), { site: 'scored', sentAt: T + 2 * MIN, events: [demo] })).status).toBe(200);
    await answer(fast.id, T + 5 * MIN);
    // Only the first answer counts.
    await answer(fast.id, T + 6 * MIN);
    await answer((await mqlAt(T + MIN)).id, T + 21 * MIN);
    await answer((await mqlAt(T + 2 * MIN)).id, T + 62 * MIN);
    await answer((await mqlAt(T + 3 * MIN)).id, T + 93 * MIN);
    // Two never answered.
    await mqlAt(T + 4 * MIN);
    const survivor = await mqlAt(T + 5 * MIN);
    // A duplicate answered within a minute, then merged into the unanswered one: left out.
    const duplicate = await mqlAt(T + 6 * MIN);
    await answer(duplicate.id, T + 7 * MIN);
    expect((await post(T + 8 * MIN, `/v1/leads/${survivor.id}/merge`, { leadId: duplicate.id })).status).toBe(200);
    // Site `scored2`: answered after two hours.
    await answer((await mqlAt(T + 7 * MIN, 'scored2')).id, T + 127 * MIN);
  });

  it('counts the handovers and first answers the overview counts, ranked the same way', async () => {
    const body = await report(`?site=scored&since=${new Date(since).toISOString()}`);
    // Answers after 300, 1200, 3600 and 5400 s: the median is the 2nd of 4 (nearest rank), the
    // 90th percentile the 4th; exactly an hour is within the hour.
    expect(body).toEqual({ since: new Date(since).toISOString(), handovers: 6, answered: 4, unanswered: 2, responseSeconds: { median: 1200, p90: 5400 }, answeredWithinHour: 3 });
    const overview = await speedToLead(getDb().db, { site: 'scored', from: since, to: now });
    expect(overview).toEqual({ handovers: 6, answered: 4, medianMs: 1200_000, p90Ms: 5400_000 });
    expect(body.responseSeconds).toEqual({ median: overview.medianMs! / 1000, p90: overview.p90Ms! / 1000 });
    expect(await speedToLead(getDb().db, { site: 'scored', from: since, to: now }, { withinMs: HOUR })).toEqual({ ...overview, answeredWithin: 3 });
  });

  it('without a site, counts every site\'s; without since, the last 30 days', async () => {
    const body = await report(`?since=${new Date(since).toISOString()}`);
    // 300, 1200, 3600, 5400 and 7200 s: the 3rd and the 5th of 5.
    expect(body).toMatchObject({ handovers: 7, answered: 5, unanswered: 2, responseSeconds: { median: 3600, p90: 7200 }, answeredWithinHour: 3 });
    expect(await speedToLead(getDb().db, { from: since, to: now }, { withinMs: HOUR })).toEqual({ handovers: 7, answered: 5, medianMs: 3600_000, p90Ms: 7200_000, answeredWithin: 3 });
    expect(await report(`?site=&since=${new Date(since).toISOString()}`)).toEqual(body);
    expect(await report('?site=scored2')).toMatchObject({ handovers: 1, answered: 1, unanswered: 0, responseSeconds: { median: 7200, p90: 7200 }, answeredWithinHour: 0 });
    // The early handover (answered after 90 min) joins with the default period.
    expect(await report('')).toEqual({ since: new Date(now - 30 * DAY).toISOString(), handovers: 8, answered: 6, unanswered: 2, responseSeconds: { median: 3600, p90: 7200 }, answeredWithinHour: 3 });
    // A period with no handovers, and a site without any.
    expect(await report(`?site=scored&since=${new Date(now - MIN).toISOString()}`)).toMatchObject({ handovers: 0, answered: 0, unanswered: 0, responseSeconds: { median: null, p90: null }, answeredWithinHour: 0 });
    expect(await report('?site=quiet')).toMatchObject({ handovers: 0, answered: 0, responseSeconds: { median: null, p90: null } });
  });

  it('answers 404 naming the site for a site that is not in the config file', async () => {
    const res = await getWithKey(at(now), '/v1/reports/speed-to-lead?site=nowhere');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'not_found', field: 'site', message: 'site: no site "nowhere" in the config file' });
  });

  it('answers 400 for a since that is not a time', async () => {
    const res = await getWithKey(at(now), '/v1/reports/speed-to-lead?since=yesterday');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', field: 'since', message: 'since: an ISO 8601 time' });
  });
});
