import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { dashboardApp, dashboardConfig, DESCRIBED_SCORING, points } from '../../../test/support/dashboardData.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createScorers } from '../app.js';
import { toJson } from '../db/json.js';
import { leadScoreHistory } from './leadScoreHistory.js';

const DAY = 86_400_000;

describeEachDialect('a lead’s score over time', (getDb) => {
  it('adds each hit when it happened, decays engagement by the half-life, follows fit with the traits, and ends at the score the API shows', async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
    const start = now - 2 * DESCRIBED_SCORING.halfLifeDays * DAY;
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    const email = `hist-${newId()}@fernhill.example`;
    const at = (t: number) => dashboardApp(getDb().db, () => t);
    await postBatch(at(start + 5000), {
      site: 'demo',
      sentAt: start + 5000,
      events: [
        makeEvent({ ...v, ts: start, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email } }),
        makeEvent({ ...v, ts: start + 1000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
      ],
    });
    // A week later the lead says it is a CFO: fit from then on.
    const later = start + 7 * DAY;
    await postBatch(at(later + 5000), { site: 'demo', sentAt: later + 5000, events: [makeEvent({ ...v, sessionId: 's_' + newId(), visit: 2, ts: later, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email, jobTitle: 'CFO' } })] });
    const lead = await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    const scorer = createScorers(dashboardConfig).get('demo')!;
    const history = await leadScoreHistory(getDb().db, scorer, lead, [], now);

    const earned = points('page-view') + points('pricing');
    const returning = points('returning');
    const decay = (ms: number) => 2 ** (-ms / (DESCRIBED_SCORING.halfLifeDays * DAY));
    const round = (n: number) => Math.round(n * 100) / 100;
    // The first sample is the last moment of the first day (its date, on the chart): the page
    // view's points, a few hours decayed. Each day has one point; today's is now.
    expect(history.at[0]).toBe(Math.floor(start / DAY) * DAY + DAY - 1);
    expect(new Set(history.at.map((t) => new Date(t).toISOString().slice(0, 10))).size).toBe(history.at.length);
    expect(history.engagement[0]).toBe(round(earned * decay(history.at[0]! - start - 1000)));
    expect(history.fit[0]).toBe(0);
    // After the CFO form: fit from the rule, engagement with the returning visit added.
    const i = history.at.findIndex((t) => t > later);
    expect(history.fit[i]).toBe(points('finance'));
    expect(history.engagement[i]).toBe(round(earned * decay(history.at[i]! - start - 1000) + returning * decay(history.at[i]! - later)));
    expect(history.total[i]).toBe(round(history.engagement[i]! + history.fit[i]!));
    // Two half-lives on, the first points are down to a quarter; the last point is the API's score now.
    expect(history.at.at(-1)).toBe(now);
    expect(history.engagement.at(-1)).toBeLessThan(earned / 4 + returning);
    expect({ engagement: history.engagement.at(-1), fit: history.fit.at(-1), total: history.total.at(-1) }).toEqual(scorer.scoresAt(JSON.parse(lead.score_state), now));
    // One point a day.
    expect(history.at.length).toBe(Math.ceil((now - start) / DAY) + 1);
  });

  it('counts the traits a lead holds with no change recorded (set when it was made) from its first day', async () => {
    const now = Date.now();
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    const email = `held-${newId()}@fernhill.example`;
    await postBatch(dashboardApp(getDb().db, () => now - 3 * DAY), {
      site: 'demo',
      sentAt: now - 3 * DAY,
      events: [makeEvent({ ...v, ts: now - 3 * DAY - 1000, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email } })],
    });
    const lead = await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    // As a lead imported or made before trait changes were recorded: a CFO, with no change on file.
    await getDb().db.updateTable('leads').set({ traits: toJson({ email, jobTitle: 'CFO' }) }).where('id', '=', lead.id).execute();
    const scorer = createScorers(dashboardConfig).get('demo')!;
    const history = await leadScoreHistory(getDb().db, scorer, { ...lead, traits: toJson({ email, jobTitle: 'CFO' }) }, [], now);
    // From the day it was made: three days, then now (the lead's stored state, which this test left as it was).
    expect(history.fit).toHaveLength(4);
    expect(history.fit.slice(0, -1)).toEqual([points('finance'), points('finance'), points('finance')]);
  });
});
