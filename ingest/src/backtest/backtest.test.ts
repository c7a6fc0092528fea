import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { ruleHits } from '../rulesets/ruleHits.js';
import { createScorer } from '../scoring/engine.js';
import { backtestRules } from './backtestRules.js';
import { MIN_OUTCOMES_PER_CLASS, calibrateThreshold } from './calibrateThreshold.js';

const MIN = 60_000;
/** In effect: MQL at 10 points. */
const CURRENT = {
  thresholds: { mql: { engagement: 10, fit: 0 } },
  engagement: [
    { id: 'pricing', match: { type: 'pageview', path: '/pricing' }, points: 6, limit: 'once' },
    { id: 'download', match: { type: 'download' }, points: 5 },
    { id: 'blog', match: { type: 'pageview', path: '/blog/**' }, points: 2 },
  ],
};
/** The draft: pricing counts less, downloads and the blog more, and MQL takes 12. */
const DRAFT = {
  thresholds: { mql: { engagement: 12, fit: 0 } },
  engagement: [
    { id: 'pricing', match: { type: 'pageview', path: '/pricing' }, points: 3, limit: 'once' },
    { id: 'download', match: { type: 'download' }, points: 8 },
    { id: 'blog', match: { type: 'pageview', path: '/blog/**' }, points: 4 },
  ],
};
const config = parseConfig(
  { sites: ['bt', 'bt2', 'redos'].map((key) => ({ key, allowedOrigins: [DEMO_ORIGIN], scoring: CURRENT })) },
  'backtest test',
);
const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const appAt = (db: Kysely<Database>, now: number) => createApp({ db, config, secretKey: TEST_SECRET_KEY, now: () => now });

type Step = 'pricing' | 'download' | 'blog';
async function lead(db: Kysely<Database>, t0: number, name: string, steps: Step[], site = 'bt') {
  const visitorId = 'v_' + newId();
  const sessionId = 's_' + newId();
  const email = `${name}-${newId()}@fernhill.example`;
  const events = [
    makeEvent({ visitorId, sessionId, ts: t0, type: 'form', name: 'contact', traits: { email, company: `${name} Ltd` }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
    ...steps.map((step, i) =>
      step === 'download'
        ? makeEvent({ visitorId, sessionId, ts: t0 + (i + 1) * 1000, type: 'download', name: 'sheet.pdf' })
        : makeEvent({ visitorId, sessionId, ts: t0 + (i + 1) * 1000, path: step === 'blog' ? `/blog/post-${i}` : '/pricing', url: `${DEMO_ORIGIN}${step === 'blog' ? `/blog/post-${i}` : '/pricing'}` }),
    ),
  ];
  expect((await postBatch(appAt(db, t0 + 10_000), { site, sentAt: t0 + 10_000, events })).status).toBe(200);
  return db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
}
async function feedback(db: Kysely<Database>, at: number, leadId: string, body: object) {
  expect((await appAt(db, at).request(`/v1/leads/${leadId}/feedback`, { method: 'POST', headers: auth, body: JSON.stringify(body) })).status).toBe(200);
}
/** Everything a backtest could touch, in a stable order. */
async function snapshot(db: Kysely<Database>) {
  return {
    leads: await db.selectFrom('leads').selectAll().orderBy('id').execute(),
    hits: await db.selectFrom('score_hits').selectAll().orderBy('subject').orderBy('event_id').orderBy('rule_id').execute(),
    changes: await db.selectFrom('stage_changes').selectAll().orderBy('id').execute(),
    feedback: await db.selectFrom('feedback').selectAll().orderBy('id').execute(),
    deliveries: await db.selectFrom('webhook_deliveries').selectAll().orderBy('id').execute(),
    versions: await db.selectFrom('ruleset_versions').selectAll().orderBy('id').execute(),
    inEffect: await db.selectFrom('rulesets_in_effect').selectAll().orderBy('site_id').execute(),
    replays: await db.selectFrom('replay_queue').selectAll().orderBy('subject').execute(),
  };
}

describeEachDialect('backtest', (getDb) => {
  it('replays every lead under a draft without writing anything: MQLs now and under the draft, moves, and sales outcomes', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 3_600_000;
    // Points now (draft):    pricing 6 (3), download 5 (8), blog 2 (4); MQL at 10 (12).
    const won = await lead(db, t0, 'won', ['pricing', 'download']); //   11 MQL (11: no)  → accepted, won
    const lost = await lead(db, t0, 'lost', ['download', 'download']); // 10 MQL (16: yes) → accepted, lost
    const rejected = await lead(db, t0, 'rejected', ['pricing', 'blog', 'blog']); // 10 MQL (11: no) → rejected
    const reader = await lead(db, t0, 'reader', ['blog', 'blog', 'blog']); // 6 lead (12: MQL) → up
    const browser = await lead(db, t0, 'browser', ['pricing', 'download']); // 11 MQL (11: lead) → down
    const quiet = await lead(db, t0, 'quiet', ['pricing']); //                 6 lead (3: lead)
    expect([won, lost, rejected, reader, browser, quiet].map((l) => l.stage)).toEqual(['mql', 'mql', 'mql', 'lead', 'mql', 'lead']);
    await feedback(db, t0 + 1 * MIN, won.id, { type: 'accepted' });
    await feedback(db, t0 + 2 * MIN, won.id, { type: 'won' });
    await feedback(db, t0 + 1 * MIN, lost.id, { type: 'accepted' });
    await feedback(db, t0 + 3 * MIN, lost.id, { type: 'lost', reason: 'price' });
    await feedback(db, t0 + 1 * MIN, rejected.id, { type: 'rejected', reason: 'bad_fit' });

    const before = await snapshot(db);
    const res = await appAt(db, t0 + 10 * MIN).request('/v1/scoring/backtest', { method: 'POST', headers: auth, body: JSON.stringify({ site: 'bt', rules: DRAFT }) });
    expect(res.status).toBe(200);
    const result = await res.json();
    expect(await snapshot(db)).toEqual(before);

    expect(result).toMatchObject({ site: 'bt', identical: false, leads: 6 });
    // Now: won is a customer, browser an MQL (lost and rejected went back to nurture). Draft: won, and reader instead of browser.
    expect(result.mqlOrBeyond).toEqual({ now: 2, draft: 2 });
    expect(result.moves).toMatchObject({ up: 1, down: 1, truncated: false });
    // reader would be handed to sales, browser taken back below MQL.
    expect(result.handovers).toEqual({ toSales: 1, backFromSales: 1 });
    const moved = Object.fromEntries(result.moves.leads.map((m: { id: string }) => [m.id, m]));
    expect(moved[reader.id]).toEqual({ id: reader.id, email: reader.email, company: 'reader Ltd', now: { stage: 'lead', engagement: 6, fit: 0, total: 6 }, draft: { stage: 'mql', engagement: 12, fit: 0, total: 12 } });
    expect(moved[browser.id]).toMatchObject({ now: { stage: 'mql', total: 11 }, draft: { stage: 'lead', total: 11 } });
    // Accepted or won: `won` (the rules in effect qualified it, the draft would not have).
    // Rejected or lost: `lost` and `rejected` (both qualified now; the draft still qualifies `lost`).
    expect(result.outcomes).toEqual({ acceptedOrWon: { leads: 1, qualifiedNow: 1, qualifiedDraft: 0 }, rejectedOrLost: { leads: 2, qualifiedNow: 2, qualifiedDraft: 1 } });
    // Peaks under the draft: won 11, lost 16; no threshold qualifies the won lead without the lost one.
    expect(result.calibration).toMatchObject({ method: 'youden', won: 1, lost: 1, best: { threshold: 11, wonQualified: 1, lostQualified: 1, youdenJ: 0 }, current: { threshold: 12, wonQualified: 0, lostQualified: 1, youdenJ: -1 } });

    // Read a few leads at a time, the answer is the same; between pages, the server's other
    // work runs (a request that arrives meanwhile is not kept waiting for the whole replay).
    const scorers = new Map([['bt', createScorer(config.sites[0]!.scoring)]]);
    const order: string[] = [];
    const paged = backtestRules(db, scorers, { site: 'bt', rules: DRAFT }, { now: t0 + 10 * MIN, pageSize: 2 }).then((r) => (order.push('backtest'), r));
    setImmediate(() => order.push('other work'));
    expect(await paged).toEqual(result);
    expect(order).toEqual(['other work', 'backtest']);
    // The list of moved leads is capped, and says so.
    expect((await backtestRules(db, scorers, { site: 'bt', rules: DRAFT }, { now: t0 + 10 * MIN, listLimit: 1 })).moves).toMatchObject({ up: 1, down: 1, truncated: true, leads: [expect.anything()] });

    // The rules in effect as a draft: nothing moves.
    // The body a publish takes (with its note) backtests as it is.
    const same = await (await appAt(db, t0 + 10 * MIN).request('/v1/scoring/backtest', { method: 'POST', headers: auth, body: JSON.stringify({ site: 'bt', rules: CURRENT, note: 'same rules' }) })).json();
    expect(same).toMatchObject({ identical: true, mqlOrBeyond: { now: 2, draft: 2 }, moves: { up: 0, down: 0, leads: [] } });
    const bad = await appAt(db, t0).request('/v1/scoring/backtest', { method: 'POST', headers: auth, body: JSON.stringify({ site: 'bt', rules: { ...DRAFT, thresholds: { mql: { engagement: 'high' } } } }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.field).toBe('rules.thresholds.mql.engagement');
    const unknown = await appAt(db, t0).request('/v1/scoring/backtest', { method: 'POST', headers: auth, body: JSON.stringify({ site: 'bt', rules: CURRENT, notes: 'typo' }) });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toMatchObject({ field: 'notes', message: 'notes: Unrecognized key: "notes"' });

    // Each rule's hits on the site's leads over the period, for the scoring page.
    const hits = await ruleHits(db, 'bt', { days: 30, now: t0 + 10 * MIN, rules: config.sites[0]!.scoring });
    expect(hits.map((h) => [h.id, h.hits, h.pointsGiven])).toEqual([
      ['pricing', 4, 24],
      ['download', 4, 20],
      ['blog', 5, 10],
    ]);
    const byApi = await (await appAt(db, t0 + 10 * MIN).request('/v1/scoring/rule-hits?site=bt', { headers: auth })).json();
    expect(byApi.rules).toEqual(hits);
    // Another site's leads count for that site only.
    await lead(db, t0, 'elsewhere', ['pricing', 'blog'], 'bt2');
    expect(await ruleHits(db, 'bt', { days: 30, now: t0 + 10 * MIN, rules: config.sites[0]!.scoring })).toEqual(hits);
    expect((await ruleHits(db, 'bt2', { days: 30, now: t0 + 10 * MIN, rules: config.sites[1]!.scoring })).map((h) => [h.id, h.hits])).toEqual([
      ['pricing', 1],
      ['download', 0],
      ['blog', 1],
    ]);
    // Hits older than the period do not count.
    expect((await ruleHits(db, 'bt2', { days: 1, now: t0 + 2 * 86_400_000, rules: config.sites[1]!.scoring })).map((h) => h.hits)).toEqual([0, 0, 0]);
  });

  it('a read key backtests a draft with a catastrophic regular expression against a hostile 200-character trait: it answers at once, and a pattern the linear-time engine cannot match is refused naming the field', async () => {
    const { db } = getDb();
    const t0 = Date.now() - 3_600_000;
    // An anonymous visitor's form sets a job title made to make `(a*)*b` backtrack 2^199 ways.
    const jobTitle = 'a'.repeat(199) + '!';
    const email = `hostile-${newId()}@fernhill.example`;
    const form = makeEvent({ ts: t0, type: 'form', name: 'contact', traits: { email, jobTitle }, path: '/contact', url: `${DEMO_ORIGIN}/contact` });
    expect((await postBatch(appAt(db, t0 + 1000), { site: 'redos', sentAt: t0 + 1000, events: [form] })).status).toBe(200);
    const hostile = await db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(fromJson(hostile.traits)).toMatchObject({ jobTitle });

    const app = appAt(db, t0 + 10 * MIN);
    const reader = await (await app.request('/v1/keys', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'analyst', scopes: ['read'] }) })).json();
    const asReader = { ...auth, Authorization: `Bearer ${reader.key}` };
    /** A draft where matching the job title is worth 10 fit points, and 10 fit points make an MQL. */
    const draft = (matches: string) => ({ thresholds: { mql: { engagement: 0, fit: 10 } }, fit: [{ id: 'title', trait: 'jobTitle', matches, points: 10 }] });
    const backtest = async (matches: string) => {
      const started = performance.now();
      const res = await app.request('/v1/scoring/backtest', { method: 'POST', headers: asReader, body: JSON.stringify({ site: 'redos', rules: draft(matches) }) });
      // Generous: the request reads the database too. On V8's engine, `(a*)*b` held the process over a minute.
      expect(performance.now() - started, matches).toBeLessThan(2000);
      return { status: res.status, body: await res.json() };
    };
    const movedUp = (body: { moves: { leads: Array<{ id: string; draft: { stage: string; fit: number } }> } }) => body.moves.leads.find((l) => l.id === hostile.id)?.draft;

    // No match: the lead stays a lead. A match: it would become an MQL with the rule's 10 points.
    for (const pattern of ['(a*)*b', '(a|aa)+$']) {
      const { status, body } = await backtest(pattern);
      expect(status, pattern).toBe(200);
      expect(movedUp(body), pattern).toBeUndefined();
    }
    const { status, body } = await backtest('(.*a){20}');
    expect(status).toBe(200);
    expect(movedUp(body)).toMatchObject({ stage: 'mql', fit: 10 });

    // What RE2 cannot match in linear time is refused before anything runs, in the backtest and in a publish alike.
    const refused = await backtest('(?<=senior )a+');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_request', field: 'rules.fit.0.matches', message: expect.stringContaining('lookarounds') });
    const publish = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth, body: JSON.stringify({ site: 'redos', rules: draft('(a)\\1') }) });
    expect(publish.status).toBe(400);
    expect((await publish.json()).error).toMatchObject({ field: 'rules.fit.0.matches', message: expect.stringContaining('backreferences') });
  });
});

describe('threshold calibration', () => {
  it('picks the threshold that separates won from lost leads', () => {
    const result = calibrateThreshold({ won: [40, 55, 70], lost: [10, 20, 35] }, 100);
    expect(result.best).toEqual({ threshold: 40, wonQualified: 3, lostQualified: 0, youdenJ: 1 });
    // The draft's own threshold qualifies nobody.
    expect(result.current).toEqual({ threshold: 100, wonQualified: 0, lostQualified: 0, youdenJ: 0 });
    expect(result.buckets.reduce((a, b) => a + b.won, 0)).toBe(3);
    expect(result.buckets.find((b) => b.from <= 35 && 35 < b.to)).toMatchObject({ lost: 1 });
  });

  it('with overlap, maximises the won share minus the lost share (ties to the lower threshold); leads whose fit never passed count against both', () => {
    // At 30: 3/4 won − 1/3 lost = 0.42; at 50: 2/4 − 0 = 0.5; at 20: 3/4 − 2/3 = 0.08.
    const result = calibrateThreshold({ won: [30, 50, 60, null], lost: [20, 45, 10] }, 25);
    expect(result.best).toEqual({ threshold: 50, wonQualified: 2, lostQualified: 0, youdenJ: 0.5 });
    expect(result.neverFit).toEqual({ won: 1, lost: 0 });
    // Ties: 40 and 60 both give 1/2 − 0: the lower wins.
    expect(calibrateThreshold({ won: [40, 60], lost: [10, 50] }, 25).best).toMatchObject({ threshold: 40, youdenJ: 0.5 });
    expect(calibrateThreshold({ won: [40], lost: [] }, 25).best).toBeNull();
  });

  it(`advises taking the best threshold only from ${MIN_OUTCOMES_PER_CLASS} won and lost leads whose fit passed, and only when it separates them`, () => {
    const spread = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    expect(calibrateThreshold({ won: [40, 55, 70], lost: [10, 20, 35] }, 100).advice).toBe('too_few_outcomes');
    const enough = calibrateThreshold({ won: spread(40, MIN_OUTCOMES_PER_CLASS), lost: spread(10, MIN_OUTCOMES_PER_CLASS) }, 100);
    expect(enough).toMatchObject({ advice: 'use', minimumPerClass: MIN_OUTCOMES_PER_CLASS, best: { threshold: 40, youdenJ: 1 } });
    // Leads whose fit never passed are no evidence for an engagement threshold.
    expect(calibrateThreshold({ won: [...spread(40, MIN_OUTCOMES_PER_CLASS - 1), null], lost: spread(10, MIN_OUTCOMES_PER_CLASS) }, 100).advice).toBe('too_few_outcomes');
    // Won and lost leads that peaked alike: the best split is no split.
    const alike = calibrateThreshold({ won: spread(10, MIN_OUTCOMES_PER_CLASS), lost: spread(10, MIN_OUTCOMES_PER_CLASS) }, 100);
    expect(alike.advice).toBe('no_separation');
    expect(alike.best!.youdenJ).toBe(0);
    expect(calibrateThreshold({ won: [20], lost: [20] }, 25).advice).toBe('no_separation');
    // The draft's own threshold already splits them as well as the best: nothing to change.
    expect(calibrateThreshold({ won: spread(40, MIN_OUTCOMES_PER_CLASS), lost: spread(10, MIN_OUTCOMES_PER_CLASS) }, 30).advice).toBe('current_is_best');
    expect(calibrateThreshold({ won: [40], lost: [] }, 25).advice).toBe('no_outcomes');
  });
});
