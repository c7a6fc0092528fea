import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import type { Database } from '../db/schema.js';
import { checkFollowUps } from './checkFollowUps.js';
import { followUpSummary } from './followUpSummary.js';
import { refreshFirstTouches } from '../firstTouch/refreshFirstTouches.js';
import { weeklyEvaluation } from './weeklyEvaluation.js';

const MIN = 60_000;
/** Pricing 6 (once) + download 5 = 11 points: an MQL at threshold 10, at the download. */
const RULES = { thresholds: { mql: { engagement: 10, fit: 0 } }, engagement: [{ id: 'pricing', match: { type: 'pageview', path: '/pricing' }, points: 6, limit: 'once' }, { id: 'download', match: { type: 'download' }, points: 5 }] };
const PAGES = [
  { match: '/pricing', stage: 'bottom', category: 'pricing' },
  { match: '/blog/**', stage: 'top', category: 'blog' },
];
const config = parseConfig(
  {
    sites: [
      { key: 'sla', allowedOrigins: [DEMO_ORIGIN], scoring: RULES, pages: PAGES, followUp: { mqlResponseMinutes: 30 } },
      { key: 'week', allowedOrigins: [DEMO_ORIGIN], scoring: RULES, pages: PAGES, followUp: { mqlResponseMinutes: 30 } },
      // No agreement in the file: 60 minutes.
      { key: 'default', allowedOrigins: [DEMO_ORIGIN], scoring: RULES },
    ],
  },
  'follow-up test',
);
const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const appAt = (db: Kysely<Database>, now: number) => createApp({ db, config, secretKey: TEST_SECRET_KEY, now: () => now });

/** A lead qualified (MQL) at `at` exactly: its download, the last of its events, crosses the threshold. `firstPath` is its first page view. */
async function mqlAt(db: Kysely<Database>, site: string, at: number, firstPath = '/pricing', query = '') {
  const visitorId = 'v_' + newId();
  const sessionId = 's_' + newId();
  const email = `fu-${newId()}@fernhill.example`;
  const events = [
    makeEvent({ visitorId, sessionId, ts: at - 3000, path: firstPath, url: `${DEMO_ORIGIN}${firstPath}${query}` }),
    makeEvent({ visitorId, sessionId, ts: at - 2000, type: 'form', name: 'contact', traits: { email, company: `Co ${email.slice(3, 9)}` }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
    makeEvent({ visitorId, sessionId, ts: at - 1000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
    makeEvent({ visitorId, sessionId, ts: at, type: 'download', name: 'sheet.pdf' }),
  ];
  const res = await postBatch(appAt(db, at), { site, sentAt: at, events });
  expect(res.status).toBe(200);
  const lead = await db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
  expect(lead.stage).toBe('mql');
  return lead;
}

async function feedback(db: Kysely<Database>, at: number, leadId: string, body: object) {
  const res = await appAt(db, at).request(`/v1/leads/${leadId}/feedback`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

const breaches = (db: Kysely<Database>, leadId: string) => db.selectFrom('webhook_deliveries').select(['event_type', 'payload']).where('lead_id', '=', leadId).where('event_type', '=', 'lead.sla_breached').execute();

describe('follow-up config', () => {
  it('takes a response time per site (60 minutes when absent) and lead.sla_breached in the config file\'s webhooks', () => {
    expect(config.sites.map((s) => s.followUp.mqlResponseMinutes)).toEqual([30, 30, 60]);
    const parsed = parseConfig({ sites: [{ key: 'x', webhooks: [{ url: 'https://crm.example/sla', secret: 'a-secret-of-16-chars', events: ['lead.sla_breached'] }] }] }, 'inline');
    expect(parsed.sites[0]!.webhooks[0]!.events).toEqual(['lead.sla_breached']);
    expect(() => parseConfig({ sites: [{ key: 'x', followUp: { mqlResponseMinutes: 0 } }] }, 'inline')).toThrow(/sites\.0\.followUp\.mqlResponseMinutes/);
  });
});

describeEachDialect('follow-up agreements', (getDb) => {
  it('an MQL unanswered past the agreement raises lead.sla_breached once, however many processes check at the same moment', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 6 * 3_600_000;
    const hook = await appAt(db, t0).request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'https://crm.example/sla', events: ['lead.sla_breached'], site: 'sla' }) });
    expect(hook.status).toBe(201);
    const lead = await mqlAt(db, 'sla', t0);
    // Within the 30 minutes: nothing yet.
    expect(await checkFollowUps(db, config, t0 + 30 * MIN)).toBe(0);
    // Past it: two processes race; one raises it.
    const raced = await Promise.all([checkFollowUps(db, config, t0 + 30 * MIN + 1), checkFollowUps(db, config, t0 + 30 * MIN + 1), checkFollowUps(db, config, t0 + 30 * MIN + 2)]);
    expect(raced.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await checkFollowUps(db, config, t0 + 45 * MIN)).toBe(0);
    const sent = await breaches(db, lead.id);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.payload)).toMatchObject({
      type: 'lead.sla_breached',
      site: 'sla',
      lead: { id: lead.id, email: lead.email, stage: 'mql' },
      followUp: { qualifiedAt: new Date(t0).toISOString(), deadline: new Date(t0 + 30 * MIN).toISOString(), responseMinutes: 30 },
    });
  });

  it('no breach when sales answered within the agreement; an answer after the deadline does not undo one', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 5 * 3_600_000;
    const answered = await mqlAt(db, 'sla', t0);
    await feedback(db, t0 + 29 * MIN, answered.id, { type: 'contacted' });
    const late = await mqlAt(db, 'sla', t0 + 1);
    await feedback(db, t0 + 40 * MIN, late.id, { type: 'accepted' });
    // The default agreement is an hour: at 59 minutes nothing is due on that site.
    const hourly = await mqlAt(db, 'default', t0 + 2);
    expect(await checkFollowUps(db, config, t0 + 59 * MIN)).toBe(1);
    expect(await breaches(db, answered.id)).toHaveLength(0);
    // The webhook was registered for this site only, so the claim is stored without a delivery here.
    expect(await db.selectFrom('follow_up_breaches').select('lead_id').where('lead_id', 'in', [answered.id, late.id]).execute()).toEqual([{ lead_id: late.id }]);
    expect(await checkFollowUps(db, config, t0 + 61 * MIN)).toBe(1);
    expect(await db.selectFrom('follow_up_breaches').select(['lead_id', 'deadline_at']).where('lead_id', '=', hourly.id).execute()).toEqual([{ lead_id: hourly.id, deadline_at: t0 + 2 + 60 * MIN }]);
  });

  it('the overview: MQLs of the period answered within the agreement, open and overdue ones flagged; also through GET /v1/reports/follow-up', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 4 * 3_600_000;
    const a = await mqlAt(db, 'week', t0); // answered in 10 minutes
    const b = await mqlAt(db, 'week', t0 + 1 * MIN); // answered in 44 minutes: late
    const c = await mqlAt(db, 'week', t0 + 2 * MIN); // never answered: overdue at t0 + 60 min
    const d = await mqlAt(db, 'week', t0 + 50 * MIN); // not answered, not yet due at t0 + 60 min
    await feedback(db, t0 + 10 * MIN, a.id, { type: 'accepted' });
    await feedback(db, t0 + 45 * MIN, b.id, { type: 'rejected', reason: 'bad_fit' });
    const now = t0 + 60 * MIN;
    const summary = await followUpSummary(db, config.sites[1]!, { from: t0 - MIN, to: now, now });
    expect(summary).toMatchObject({ responseMinutes: 30, mqls: 4, answered: 2, answeredWithin: { count: 1, share: 0.25 }, open: 2, overdue: 1 });
    expect(summary.openLeads.map((l) => [l.leadId, l.overdue, l.overdueMinutes])).toEqual([
      [c.id, true, 60 - 2 - 30],
      [d.id, false, 0],
    ]);
    // A period that ends before c and d qualified: only a and b.
    expect(await followUpSummary(db, config.sites[1]!, { from: t0 - MIN, to: t0 + 2 * MIN, now })).toMatchObject({ mqls: 2, answered: 2, open: 0 });
    const res = await appAt(db, now).request(`/v1/reports/follow-up?site=week&from=${new Date(t0 - MIN).toISOString()}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ mqls: 4, answeredWithin: { count: 1, share: 0.25 }, overdue: 1 });
    const bad = await appAt(db, now).request('/v1/reports/follow-up?site=week&from=monday', { headers: auth });
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_request', field: 'from' });
    // The earliest time JavaScript has: the default period (a week before it) is no date (was a 500).
    for (const report of ['follow-up', 'weekly-evaluation']) {
      const edge = await appAt(db, now).request(`/v1/reports/${report}?site=week&to=-271821-04-20T00:00:00Z`, { headers: auth });
      expect(edge.status, report).toBe(400);
      expect((await edge.json()).error, report).toMatchObject({ code: 'invalid_request', field: 'to', message: 'to: a time from 1970 to 9999' });
    }
  });

  it('the weekly evaluation splits MQLs by outcome, rejection reason, first-touch content and first-visit campaign', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 3 * 86_400_000;
    const utm = '?utm_source=newsletter&utm_medium=email&utm_campaign=spring';
    const won = await mqlAt(db, 'week', t0, '/blog/cash-flow', utm);
    const rejected = await mqlAt(db, 'week', t0 + MIN, '/blog/cash-flow', utm);
    const lost = await mqlAt(db, 'week', t0 + 2 * MIN, '/pricing');
    const waiting = await mqlAt(db, 'week', t0 + 3 * MIN, '/pricing');
    await feedback(db, t0 + 10 * MIN, won.id, { type: 'accepted' });
    await feedback(db, t0 + 20 * MIN, won.id, { type: 'won' });
    await feedback(db, t0 + 10 * MIN, rejected.id, { type: 'rejected', reason: 'not_ready' });
    await feedback(db, t0 + 10 * MIN, lost.id, { type: 'accepted' });
    await feedback(db, t0 + 30 * MIN, lost.id, { type: 'lost', reason: 'price' });
    void waiting;
    const week = await weeklyEvaluation(db, 'week', { from: t0 - MIN, to: t0 + 10 * MIN });
    expect(week.outcomes).toEqual({ mqls: 4, accepted: 0, rejected: 1, rejectedFor: { not_ready: 1 }, won: 1, lost: 1, contacted: 0, noAnswer: 1 });
    expect(week.byContent).toEqual([
      { stage: 'top', category: 'blog', path: '/blog/cash-flow', mqls: 2, accepted: 0, rejected: 1, rejectedFor: { not_ready: 1 }, won: 1, lost: 0, contacted: 0, noAnswer: 0 },
      { stage: 'bottom', category: 'pricing', path: '/pricing', mqls: 2, accepted: 0, rejected: 0, rejectedFor: {}, won: 0, lost: 1, contacted: 0, noAnswer: 1 },
    ]);
    expect(week.byCampaign.map((c) => [c.source, c.medium, c.campaign, c.mqls, c.won, c.rejected])).toEqual([
      ['newsletter', 'email', 'spring', 2, 1, 1],
      [null, null, null, 2, 0, 0],
    ]);
    // The same once the first-touch job has stored each lead's first touch (read, not looked up).
    while ((await refreshFirstTouches(db)) > 0);
    expect(await weeklyEvaluation(db, 'week', { from: t0 - MIN, to: t0 + 10 * MIN })).toEqual(week);
    const res = await appAt(db, t0 + DAY_LATER).request(`/v1/reports/weekly-evaluation?site=week&from=${new Date(t0 - MIN).toISOString()}&to=${new Date(t0 + 10 * MIN).toISOString()}`, { headers: auth });
    expect((await res.json()).outcomes).toEqual(week.outcomes);
  });
});

const DAY_LATER = 86_400_000;
