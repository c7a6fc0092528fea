import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { signIn, type DashboardClient } from '../../../../test/support/dashboard.js';
import { dashboardApp, dashboardConfig } from '../../../../test/support/dashboardData.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch } from '../../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../../shared/src/types.js';
import { createScorers } from '../../app.js';
import { recordFeedback } from '../../leads/recordFeedback.js';
import { dailyTrend } from '../../reports/dailyTrend.js';
import { funnelFigures } from '../../reports/funnelFigures.js';
import { leadsByFirstTouch } from '../../reports/leadsByFirstTouch.js';
import { refreshFirstTouches } from '../../firstTouch/refreshFirstTouches.js';
import { speedToLead } from '../../reports/speedToLead.js';

const DAY = 86_400_000;
const MIN = 60_000;
/**
 * Noon today, UTC: a person's events (a few seconds apart) and the days counted from T never
 * straddle a UTC midnight, so day buckets and custom dates hold what the test expects.
 */
const T = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

describeEachDialect('dashboard: overview', (getDb) => {
  const app = (at = T) => dashboardApp(getDb().db, () => at);
  const scorers = createScorers(dashboardConfig);
  const send = (at: number, events: TrackedEvent[]) => postBatch(app(at), { site: 'demo', sentAt: at, events });
  const leadId = async (email: string) => (await getDb().db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
  const feedback = async (email: string, at: number, fb: Parameters<typeof recordFeedback>[3]) => recordFeedback(getDb().db, scorers, await leadId(email), fb, at);

  /**
   * A person's visit: a landing page (with UTM parameters if given), a form that makes them a
   * lead, and, for qualified ones, the pricing page and a download (the test rules' MQL).
   */
  async function person(at: number, { email, landing, utm, jobTitle, qualify }: { email?: string; landing: string; utm?: string; jobTitle?: string; qualify?: boolean }) {
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    const events: TrackedEvent[] = [makeEvent({ ...v, ts: at, path: landing, url: `${DEMO_ORIGIN}${landing}${utm ? `?${utm}` : ''}` })];
    if (email) events.push(makeEvent({ ...v, ts: at + 1000, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email, ...(jobTitle ? { jobTitle } : {}) } }));
    if (qualify) events.push(makeEvent({ ...v, ts: at + 2000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }), makeEvent({ ...v, ts: at + 3000, type: 'download', name: 'a.pdf', path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }));
    await send(at + 5000, events);
  }

  let admin: DashboardClient;
  const d = (days: number) => T - days * DAY;

  beforeAll(async () => {
    // Forty days ago: a lead outside the default 30 days, inside 90.
    await person(d(40), { email: 'old@past.example', landing: '/blog/old' });
    // A LinkedIn campaign's reader: blog first (top), qualifies, sales accept in 30 minutes, then win.
    await person(d(3), { email: 'li@fernhill.example', landing: '/blog/a', utm: 'utm_source=linkedin&utm_medium=paid&utm_campaign=q4', jobTitle: 'CFO', qualify: true });
    // (The handover is when the visit's beacon arrived, 5 s after it began.)
    await feedback('li@fernhill.example', d(3) + 5000 + 30 * MIN, { type: 'accepted' });
    await feedback('li@fernhill.example', d(3) + DAY, { type: 'won' });
    // Direct to pricing (bottom), a free-mail lead that never qualifies.
    await person(d(2), { email: 'free@gmail.com', landing: '/pricing' });
    // A newsletter reader of a guide (middle) who qualified two hours ago: nobody answered yet.
    await person(T - 2 * 60 * MIN, { email: 'nl@acme.example', landing: '/guides/close', utm: 'utm_source=newsletter&utm_medium=email&utm_campaign=nov', jobTitle: 'Controller', qualify: true });
    // Direct to pricing, qualifies yesterday, rejected three hours later.
    await person(d(1), { email: 'late@north.example', landing: '/pricing', jobTitle: 'CFO', qualify: true });
    await feedback('late@north.example', d(1) + 5000 + 3 * 60 * MIN, { type: 'rejected', reason: 'bad_fit', outcome: 'recycle' });
    // An anonymous visitor.
    await person(d(1), { landing: '/blog/b' });
    admin = await signIn(app());
  });

  it('counts the funnel of a period from what happened in it', async () => {
    const range = { site: 'demo', from: d(30), to: T };
    // Five people visited in the last 30 days; four became leads; three were handed to sales
    // (those who saw pricing and downloaded); one was accepted (SQL) and won.
    expect(await funnelFigures(getDb().db, range)).toEqual({ visitors: 5, leads: 4, mqls: 3, sqls: 1, customers: 1 });
    expect(await funnelFigures(getDb().db, { ...range, from: d(90) })).toMatchObject({ visitors: 6, leads: 5 });
    expect(await funnelFigures(getDb().db, { site: 'other', from: d(90), to: T })).toEqual({ visitors: 0, leads: 0, mqls: 0, sqls: 0, customers: 0 });
  });

  it('splits new leads by first campaign and by the content stage that first touched them, alike before and after the first-touch job stored them', async () => {
    // First found in the events (no job ran yet), then read from the leads once the job stored them.
    const before = await leadsByFirstTouch(getDb().db, { site: 'demo', from: d(30), to: T });
    while ((await refreshFirstTouches(getDb().db)) > 0);
    expect(await getDb().db.selectFrom('leads').select('id').where((eb) => eb('touch_seq', '>', eb.ref('touch_done'))).execute()).toEqual([]);
    const { byCampaign, byContentStage } = await leadsByFirstTouch(getDb().db, { site: 'demo', from: d(30), to: T });
    expect(before).toEqual({ byCampaign, byContentStage });
    expect(byCampaign).toEqual([
      { source: '(direct)', medium: null, campaign: null, leads: 2, mqls: 1, sqls: 0, customers: 0 },
      { source: 'linkedin', medium: 'paid', campaign: 'q4', leads: 1, mqls: 1, sqls: 1, customers: 1 },
      { source: 'newsletter', medium: 'email', campaign: 'nov', leads: 1, mqls: 1, sqls: 0, customers: 0 },
    ]);
    expect(byContentStage).toEqual([
      { stage: 'top', leads: 1, mqls: 1, sqls: 1, customers: 1 },
      { stage: 'middle', leads: 1, mqls: 1, sqls: 0, customers: 0 },
      { stage: 'bottom', leads: 2, mqls: 1, sqls: 0, customers: 0 },
    ]);
  });

  it('measures speed to lead from handover to first feedback, and draws a day-by-day trend', async () => {
    expect(await speedToLead(getDb().db, { site: 'demo', from: d(30), to: T })).toEqual({ handovers: 3, answered: 2, medianMs: 30 * MIN, p90Ms: 3 * 60 * MIN });
    const trend = await dailyTrend(getDb().db, { site: 'demo', from: d(30), to: T });
    expect(trend.days).toHaveLength(31);
    expect(trend.days[1]! - trend.days[0]!).toBe(DAY);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect([sum(trend.visitors), sum(trend.leads), sum(trend.mqls)]).toEqual([5, 4, 3]);
    // The day of the LinkedIn reader's visit holds their visit, lead and MQL.
    const day = trend.days.indexOf(Math.floor(d(3) / DAY) * DAY);
    expect([trend.visitors[day], trend.leads[day], trend.mqls[day]]).toEqual([1, 1, 1]);
  });

  it('shows it all on the page, for 7, 30 or 90 days or custom dates', async () => {
    const res = await admin.get('/app?site=demo');
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = textOf(html);
    expect(text).toMatch(/5 Visitors 4 Leads 3 MQLs 1 SQLs 1 Customers/);
    // Conversion between steps: 4 of 5 visitors became leads, 3 of 4 leads MQLs, 1 of 3 MQLs SQL.
    expect(text).toContain('Leads 4 80.0%');
    expect(text).toContain('MQLs 3 75.0%');
    expect(text).toContain('SQLs 1 33.3%');
    // Speed to lead counts handovers to sales, and says so: not the funnel's MQLs (people).
    expect(text).toContain('30 min Median, handover to sales to first feedback 3 h 90th percentile, handover to first feedback 2 / 3 handovers to sales answered');
    expect(text).not.toMatch(/\d+ \/ \d+ MQLs answered/);
    expect(text).toContain('linkedin paid q4 1 1 100.0% 1 1');
    expect(text).toContain('(direct) – – 2 1 50.0% 0 0');
    expect(html).toContain('data-chart=');
    expect(html).toContain('<option value="30" selected="">');
    const week = textOf(await (await admin.get('/app?site=demo&period=7')).text());
    expect(week).toMatch(/5 Visitors 4 Leads 3 MQLs/);
    const quarter = textOf(await (await admin.get('/app?site=demo&period=90')).text());
    expect(quarter).toMatch(/6 Visitors 5 Leads 3 MQLs/);
    // A custom period of the last three days' dates only: the LinkedIn reader's day and the two after.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const custom = textOf(await (await admin.get(`/app?site=demo&period=custom&from=${day(d(3))}&to=${day(d(2))}`)).text());
    // The deal was won a day after the visit: within these dates too.
    expect(custom).toMatch(/2 Visitors 2 Leads 1 MQLs 1 SQLs 1 Customers/);
    const bad = await admin.get('/app?site=demo&period=custom&from=2026-02-30&to=2026-01-01');
    expect(bad.status).toBe(400);
    expect((await admin.get('/app?site=demo&period=custom')).status).toBe(400);
  });

  it('takes dates edited while a preset is chosen as custom dates, and a preset chosen with the dates left as shown as the preset', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const thirty = { from: day(d(29)), to: day(T) };
    // The 30-day page's form with both dates edited (no script switched the select): the LinkedIn reader's day and the day after.
    const edited = await (await admin.get(`/app?site=demo&period=30&from=${day(d(3))}&to=${day(d(2))}&shownFrom=${thirty.from}&shownTo=${thirty.to}`)).text();
    expect(textOf(edited)).toContain(`${day(d(3))} to ${day(d(2))}, whole days (UTC)`);
    expect(textOf(edited)).toMatch(/2 Visitors 2 Leads 1 MQLs 1 SQLs 1 Customers/);
    expect(edited).toContain('<option value="custom" selected="">');
    // Only the first day edited: the last day stays the one shown.
    expect(textOf(await (await admin.get(`/app?site=demo&period=30&from=${day(d(3))}&to=${thirty.to}&shownFrom=${thirty.from}&shownTo=${thirty.to}`)).text())).toContain(`${day(d(3))} to ${thirty.to}, whole days (UTC)`);
    // An address without the dates the form showed: dates other than the preset's own are custom; the preset's own are the preset.
    expect(textOf(await (await admin.get(`/app?site=demo&period=30&from=${day(d(3))}&to=${day(d(2))}`)).text())).toContain(`${day(d(3))} to ${day(d(2))}, whole days (UTC)`);
    expect(await (await admin.get(`/app?site=demo&period=30&from=${thirty.from}&to=${thirty.to}`)).text()).toContain('<option value="30" selected="">');
    // A custom page's form switched to "Last 7 days", its dates untouched: the last 7 days.
    const week = await (await admin.get(`/app?site=demo&period=7&from=${day(d(3))}&to=${day(d(2))}&shownFrom=${day(d(3))}&shownTo=${day(d(2))}`)).text();
    expect(textOf(week)).toContain(`${day(d(6))} to ${day(T)}, whole days (UTC)`);
    expect(week).toContain('<option value="7" selected="">');
    // The form says which dates it shows, for the next request to compare.
    expect(week).toContain(`name="shownFrom" value="${day(d(6))}"`);
    expect(week).toContain(`name="shownTo" value="${day(T)}"`);
  });

  it('shows what is wrong with custom dates beside them, with what was typed (400), in words', async () => {
    const res = await admin.get('/app?site=demo&period=custom&from=2026-03-10&to=2026-03-01');
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<h1>Overview</h1>');
    expect(html).toContain('<option value="custom" selected="">');
    expect(html).toMatch(/<input id="o-from" name="from" type="date" value="2026-03-10"\/?>/);
    expect(html).toMatch(/<input id="o-to" name="to" type="date" value="2026-03-01" aria-invalid="true" aria-describedby="o-to-error"\/?>/);
    expect(html).toMatch(/<p role="alert" id="o-to-error"[^>]*>The last day comes before the first/);
    expect(textOf(html)).not.toMatch(/\b(to|from): /);
    const long = await admin.get('/app?site=demo&period=custom&from=2025-01-01&to=2026-03-01');
    expect(long.status).toBe(400);
    expect(await long.text()).toMatch(/<p role="alert" id="o-to-error"[^>]*>A period is at most 366 days/);
    const missing = await (await admin.get('/app?site=demo&period=custom&to=2026-03-01')).text();
    expect(missing).toMatch(/<p role="alert" id="o-from-error"[^>]*>Give the first day of the period\./);
    expect(missing).toMatch(/<input id="o-to" name="to" type="date" value="2026-03-01"\/?>/);
  });

  it('shows the follow-up agreement: answered within it, overdue MQLs with links, and the weekly evaluation', async () => {
    const html = await (await admin.get('/app?site=demo&period=7')).text();
    const text = textOf(html);
    // One of three MQLs was answered within the hour (the LinkedIn reader, in 30 minutes).
    expect(text).toContain('33.3% of handovers to sales answered within 60 min');
    expect(text).toContain('1 MQLs overdue');
    expect(html).toMatch(/<p role="alert"><strong>1 MQL is past the agreed response time of 60 min\.<\/strong><\/p>/);
    expect(html).toContain(`href="/app/leads/${await leadId('nl@acme.example')}?site=demo">nl@acme.example</a>`);
    expect(text).toMatch(/This week 3 0 1 1 0 0 1/);
    expect(text).toContain('Rejected because: Bad fit 1');
  });

  it('computes a period’s figures about once a minute, behind the page: a new lead shows after the next minute', async () => {
    let clock = T;
    const one = dashboardApp(getDb().db, () => clock);
    const client = await signIn(one);
    const leads = async () => Number(/(\d+) Leads/.exec(textOf(await (await client.get('/app?site=demo')).text()))![1]);
    const before = await leads();
    await person(T - 5 * MIN, { email: 'new@minute.example', landing: '/blog/c' });
    clock = T + 1000;
    expect(await leads()).toBe(before);
    // A minute on, the page answers at once with what it had and counts again behind it.
    clock = T + 2 * MIN;
    expect(await leads()).toBe(before);
    // The refresh runs six report queries behind the page: on a busy machine that can take longer
    // than a fixed sleep, so wait for it (each look while it runs answers the old figures).
    await expect.poll(leads, { timeout: 10_000, interval: 50 }).toBe(before + 1);
  });
});
