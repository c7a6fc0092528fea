import { expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import type { Database } from '../db/schema.js';
import { ruleVersion, scoringSchema } from '../scoring/rulesSchema.js';
import { createRulesetWatcher } from './createRulesetWatcher.js';
import { listRulesets } from './listRulesets.js';
import { loadScorerRegistry } from './loadScorerRegistry.js';
import { publishRuleset } from './publishRuleset.js';
import { rescoreRuleset } from './rescoreRuleset.js';
import { createReplayWorker } from '../replay/createReplayWorker.js';
import { ruleHits } from './ruleHits.js';
import { syncConfigRulesets } from './syncConfigRulesets.js';

/** Pricing 6 + download 5 = 11 points: an MQL at threshold 10, a lead at 20. */
const RULES = { thresholds: { mql: { engagement: 10, fit: 0 } }, engagement: [{ id: 'pricing', match: { type: 'pageview', path: '/pricing' }, points: 6 }, { id: 'download', match: { type: 'download' }, points: 5 }] };
const STRICTER = { ...RULES, thresholds: { mql: { engagement: 20, fit: 0 } } };
const configWith = (sites: Record<string, unknown>) =>
  parseConfig({ sites: Object.entries(sites).map(([key, scoring]) => ({ key, allowedOrigins: [DEMO_ORIGIN], scoring })) }, 'rulesets test');
const auth = (key = TEST_SECRET_KEY) => ({ Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' });

/** A lead that visited pricing and downloaded a file: 11 points. */
async function pricingLead(app: ReturnType<typeof createApp>, site: string) {
  const visitorId = 'v_' + newId();
  const sessionId = 's_' + newId();
  const email = `rs-${newId()}@fernhill.example`;
  const t = Date.now() - 10_000;
  const res = await postBatch(app, {
    site,
    events: [
      makeEvent({ visitorId, sessionId, ts: t, type: 'form', name: 'contact', traits: { email }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
      makeEvent({ visitorId, sessionId, ts: t + 1000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
      makeEvent({ visitorId, sessionId, ts: t + 2000, type: 'download', name: 'sheet.pdf' }),
    ],
  });
  const answer = await res.text();
  if (res.status !== 200 || !answer.includes('"accepted":3')) throw new Error(`collect answered ${res.status}: ${answer}`);
  return email;
}

const leadByEmail = (db: Kysely<Database>, email: string) => db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();

async function waitForRescore(app: ReturnType<typeof createApp>, site: string) {
  for (let i = 0; i < 200; i++) {
    const body = await (await app.request(`/v1/scoring/rulesets?site=${site}`, { headers: auth() })).json();
    const state = body.versions[0]?.rescore?.state;
    if (state && state !== 'pending' && state !== 'running') return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('rescore did not finish');
}

describeEachDialect('rule set versions', (getDb) => {
  it('the config file seeds the first version once, and a changed file is imported at start as a new version in effect, once however many processes start', async () => {
    const { db } = getDb();
    const first = configWith({ seeded: RULES });
    expect(await syncConfigRulesets(db, first)).toEqual([{ site: 'seeded', version: ruleVersion(scoringSchema.parse(RULES)), outcome: 'seeded' }]);
    expect((await syncConfigRulesets(db, first))[0]!.outcome).toBe('unchanged');
    const rows = await db.selectFrom('ruleset_versions').selectAll().where('site_id', '=', 'seeded').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'config', created_by: 'config', rescore_state: null });

    const changed = configWith({ seeded: STRICTER });
    // Two processes start together with the changed file.
    const outcomes = (await Promise.all([syncConfigRulesets(db, changed), syncConfigRulesets(db, changed)])).map((r) => r[0]!.outcome).sort();
    expect(outcomes).toEqual(['imported', 'unchanged']);
    const after = await db.selectFrom('ruleset_versions').selectAll().where('site_id', '=', 'seeded').orderBy('created_at').orderBy('id').execute();
    expect(after.map((r) => r.version)).toEqual([ruleVersion(scoringSchema.parse(RULES)), ruleVersion(scoringSchema.parse(STRICTER))]);
    expect(after[1]!.rescore_state).toBe('pending');
    const { scorers } = await loadScorerRegistry(db, changed);
    expect(scorers.get('seeded')!.rules.thresholds.mql.engagement).toBe(20);
    // Back to the first rules in the file: a change since the last import, so a third version.
    await syncConfigRulesets(db, first);
    expect(await db.selectFrom('ruleset_versions').select('id').where('site_id', '=', 'seeded').execute()).toHaveLength(3);
  });

  it('a config file changed between starts is imported as the version in effect and the next start rescores every lead under it', async () => {
    const { db } = getDb();
    const before = configWith({ cfg: RULES });
    const first = await loadScorerRegistry(db, before);
    const email = await pricingLead(createApp({ db, config: before, secretKey: TEST_SECRET_KEY, scorers: first.scorers }), 'cfg');
    expect((await leadByEmail(db, email)).stage).toBe('mql');
    // The file now asks for 20 points.
    const after = configWith({ cfg: STRICTER });
    const restarted = await loadScorerRegistry(db, after);
    expect(restarted.imports).toEqual([{ site: 'cfg', version: ruleVersion(scoringSchema.parse(STRICTER)), outcome: 'imported' }]);
    const watcher = createRulesetWatcher({ db, scorers: restarted.scorers, pollMs: 60_000, rescorePollMs: 60_000 });
    watcher.start();
    try {
      await watcher.drain();
    } finally {
      await watcher.stop();
    }
    const [imported] = await listRulesets(db, 'cfg');
    expect(imported).toMatchObject({ source: 'config', by: 'config', inEffect: true, rescore: { state: 'done', leads: 1, down: 1 } });
    expect(await leadByEmail(db, email)).toMatchObject({ stage: 'lead', rule_version: imported!.version });
  });

  it('publishes a draft: 201 with the new version, every lead rescored off the request path, versions listed with who and the rescore outcome', async () => {
    const { db } = getDb();
    const config = configWith({ pub: RULES });
    const { scorers } = await loadScorerRegistry(db, config);
    const app = createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers });
    const email = await pricingLead(app, 'pub');
    expect((await leadByEmail(db, email)).stage).toBe('mql');

    const res = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'pub', rules: STRICTER, note: 'sales want fewer, warmer leads' }) });
    expect(res.status).toBe(201);
    const published = await res.json();
    expect(published).toMatchObject({ published: true, ruleset: { version: ruleVersion(scoringSchema.parse(STRICTER)), inEffect: true, source: 'api', by: 'bootstrap', note: 'sales want fewer, warmer leads' } });
    // The publishing process scores with it at once.
    expect(scorers.get('pub')!.version).toBe(published.ruleset.version);

    const listed = await waitForRescore(app, 'pub');
    expect(listed.inEffect).toBe(published.ruleset.version);
    expect(listed.versions.map((v: { source: string; inEffect: boolean }) => [v.source, v.inEffect])).toEqual([['api', true], ['config', false]]);
    // 11 points under a threshold of 20: the MQL goes back to lead.
    expect(listed.versions[0].rescore).toMatchObject({ state: 'done', total: 1, leads: 1, up: 0, down: 1 });
    const lead = await leadByEmail(db, email);
    expect(lead).toMatchObject({ stage: 'lead', rule_version: published.ruleset.version });
    // The scoring page's hits per rule: the version in effect's rules, from the database.
    expect((await ruleHits(db, 'pub', { days: 30 })).map((r) => [r.id, r.hits, r.pointsGiven])).toEqual([
      ['pricing', 1, 6],
      ['download', 1, 5],
    ]);

    // The same rules again: nothing happens, and the answer says so.
    const again = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'pub', rules: STRICTER }) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ published: false, ruleset: { id: published.ruleset.id } });
    expect(await db.selectFrom('ruleset_versions').select('id').where('site_id', '=', 'pub').execute()).toHaveLength(2);
  });

  it('an anonymous visitor is scored under a published rule set too: on the next read and from its next event on', async () => {
    const { db } = getDb();
    const config = configWith({ anon: RULES });
    const { scorers } = await loadScorerRegistry(db, config);
    // Nothing kicks this worker: the test drains it, so what a beacon did alone can be seen.
    const replayer = createReplayWorker({ db, scorers, pollMs: 60_000 });
    const app = createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers });
    const visitorId = 'v_' + newId();
    const pricing = (ts: number, session: string) => makeEvent({ visitorId, sessionId: session, ts, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` });
    const t = Date.now() - 10_000;
    const first = await postBatch(app, { site: 'anon', events: [pricing(t, 's_first_visit')] });
    expect(first.status, await first.clone().text()).toBe(200);
    const engagement = async () => (await (await app.request(`/v1/visitors/${visitorId}?site=anon`, { headers: auth() })).json()).score.engagement as number;
    expect(await engagement()).toBeCloseTo(6, 1);
    const richer = { ...RULES, engagement: [{ ...RULES.engagement[0]!, points: 12 }, RULES.engagement[1]!] };
    expect((await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'anon', rules: richer }) })).status).toBe(201);
    expect(await engagement()).toBeCloseTo(12, 1);
    // After the next event the replay worker scores the whole history under the new rules: 12 + 12, not 6 + 12.
    expect((await postBatch(app, { site: 'anon', events: [pricing(t + 1000, 's_second_visit')] })).status).toBe(200);
    const stored = () => db.selectFrom('visitors').select(['engagement', 'score_state']).where('site_id', '=', 'anon').where('visitor_id', '=', visitorId).executeTakeFirstOrThrow();
    const queued = () => db.selectFrom('replay_queue').select('subject_id').where('kind', '=', 'visitor').where('site_id', '=', 'anon').execute();
    // The beacon read no history: it went on incrementally and queued the visitor.
    expect(await queued()).toEqual([{ subject_id: visitorId }]);
    await replayer.drain();
    expect((await stored()).engagement).toBeCloseTo(24, 1);
    expect(await engagement()).toBeCloseTo(24, 1);

    // A state kept before states recorded their rules is replayed just the same.
    const { rules: _rules, ...legacy } = JSON.parse(String((await stored()).score_state));
    await db.updateTable('visitors').set({ score_state: JSON.stringify({ ...legacy, engagement: 1 }) as never, engagement: 1 }).where('site_id', '=', 'anon').where('visitor_id', '=', visitorId).execute();
    expect(await engagement()).toBeCloseTo(24, 1);
    expect((await postBatch(app, { site: 'anon', events: [pricing(t + 2000, 's_third_visit')] })).status).toBe(200);
    await replayer.drain();
    expect((await stored()).engagement).toBeCloseTo(36, 1);
    // Scored under the rules in effect now, nothing more is queued.
    expect((await postBatch(app, { site: 'anon', events: [pricing(t + 3000, 's_fourth_visit')] })).status).toBe(200);
    expect(await queued()).toEqual([]);
  });

  it('a lead sales sent back to nurture and looser rules lifted to MQL goes back to nurture when the rules are undone, as the backtest says first', async () => {
    const { db } = getDb();
    const DAY = 86_400_000;
    const T = Date.now();
    const config = configWith({ undo: RULES });
    const { scorers } = await loadScorerRegistry(db, config);
    const at = (t: number) => createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers, now: () => t });
    // 45 days ago: pricing and a download, 11 points over the threshold of 10: an MQL.
    const visitorId = 'v_' + newId();
    const email = `undo-${newId()}@fernhill.example`;
    const event = (ts: number, e: Record<string, unknown>) => makeEvent({ visitorId, sessionId: 's_' + newId(), ts, ...e });
    const first = T - 45 * DAY;
    await postBatch(at(first + 5000), {
      site: 'undo',
      sentAt: first + 5000,
      events: [
        event(first, { type: 'form', name: 'contact', traits: { email }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
        event(first + 1000, { path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
        event(first + 2000, { type: 'download', name: 'sheet.pdf' }),
      ],
    });
    const lead = await leadByEmail(db, email);
    expect(lead.stage).toBe('mql');
    // 40 days ago sales rejected it: back to nurture.
    const rejected = await at(T - 40 * DAY).request(`/v1/leads/${lead.id}/feedback`, { method: 'POST', headers: auth(), body: JSON.stringify({ type: 'rejected', reason: 'not_ready' }) });
    expect(rejected.status).toBe(200);
    // 5 days ago, past the 30-day cool-off, one more download: 5 points on what is left of the 11 (about 4), under 10.
    await postBatch(at(T - 5 * DAY + 1000), { site: 'undo', sentAt: T - 5 * DAY + 1000, events: [event(T - 5 * DAY, { type: 'download', name: 'more.pdf' })] });
    expect((await leadByEmail(db, email)).stage).toBe('recycled');

    // Each publish a second after the last, and after the config's version was seeded (at the real
    // time, a moment after T): the versions list, newest first, then starts with the one published.
    let publishedAt = T + 60_000;
    const publish = async (rules: unknown) => {
      publishedAt += 1000;
      const res = await at(publishedAt).request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'undo', rules }) });
      expect(res.status).toBe(201);
      await waitForRescore(at(publishedAt), 'undo');
    };
    // Looser rules: what it did after the rejection now qualifies it.
    await publish({ ...RULES, thresholds: { mql: { engagement: 5, fit: 0 } } });
    expect((await leadByEmail(db, email)).stage).toBe('mql');
    // Undoing them: the backtest says the lead goes back to nurture, and the rescore takes it there.
    const backtest = await (await at(T).request('/v1/scoring/backtest', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'undo', rules: RULES }) })).json();
    expect(backtest.moves.leads.map((l: { id: string; draft: { stage: string } }) => [l.id, l.draft.stage])).toEqual([[lead.id, 'recycled']]);
    await publish(RULES);
    const undone = await leadByEmail(db, email);
    expect(undone.stage).toBe('recycled');
    const changes = await db.selectFrom('stage_changes').select(['from_stage', 'to_stage', 'cause']).where('lead_id', '=', lead.id).orderBy('at').orderBy('id').execute();
    expect(changes.slice(-2)).toEqual([
      { from_stage: 'recycled', to_stage: 'mql', cause: expect.stringMatching(/^rescore:|^threshold:mql$/) },
      { from_stage: 'mql', to_stage: 'recycled', cause: `rescore:${ruleVersion(scoringSchema.parse(RULES))}` },
    ]);
    // The rescore's own return to nurture is no decision of sales: the looser rules again judge
    // the lead from the rejection, and the download after it qualifies it again.
    await publish({ ...RULES, thresholds: { mql: { engagement: 5, fit: 0 } } });
    expect((await leadByEmail(db, email)).stage).toBe('mql');
  });

  it('names the bad field of a draft as a path, and publishing takes an admin key while a read key may only look', async () => {
    const { db } = getDb();
    const config = configWith({ val: RULES });
    const app = createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers: (await loadScorerRegistry(db, config)).scorers });
    const bad = { ...RULES, engagement: [RULES.engagement[0], { id: 'x', match: { type: 'download' }, points: 'lots' }] };
    const res = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'val', rules: bad }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', field: 'rules.engagement.1.points' });
    const unknown = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'nope', rules: RULES }) });
    expect((await unknown.json()).error).toMatchObject({ code: 'not_found', field: 'site' });

    const created = await (await app.request('/v1/keys', { method: 'POST', headers: auth(), body: JSON.stringify({ name: 'analyst', scopes: ['read'] }) })).json();
    const asReader = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(created.key), body: JSON.stringify({ site: 'val', rules: STRICTER }) });
    expect(asReader.status).toBe(403);
    expect((await app.request('/v1/scoring/rulesets?site=val', { headers: auth(created.key) })).status).toBe(200);
    expect((await app.request('/v1/scoring/backtest', { method: 'POST', headers: auth(created.key), body: JSON.stringify({ site: 'val', rules: STRICTER }) })).status).toBe(200);
    expect(await db.selectFrom('ruleset_versions').select('id').where('site_id', '=', 'val').execute()).toHaveLength(1);

    const admin = await (await app.request('/v1/keys', { method: 'POST', headers: auth(), body: JSON.stringify({ name: 'ops-lead', scopes: ['admin'] }) })).json();
    const byAdmin = await app.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(admin.key), body: JSON.stringify({ site: 'val', rules: STRICTER }) });
    expect(await byAdmin.json()).toMatchObject({ ruleset: { by: 'ops-lead' } });
    await waitForRescore(app, 'val');
  });

  it('a rescore runs once however many processes try, and a version no longer in effect is not rescored (superseded)', async () => {
    const { db } = getDb();
    const config = configWith({ race: RULES });
    const { scorers } = await loadScorerRegistry(db, config);
    const email = await pricingLead(createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers }), 'race');
    const older = await publishRuleset(db, scorers, { site: 'race', rules: { ...STRICTER, thresholds: { mql: { engagement: 30, fit: 0 } } } }, { by: 'test', source: 'api' });
    const newer = await publishRuleset(db, scorers, { site: 'race', rules: STRICTER }, { by: 'test', source: 'api' });
    expect(await rescoreRuleset(db, older.ruleset.id)).toBe(true);
    const claims = await Promise.all([rescoreRuleset(db, newer.ruleset.id), rescoreRuleset(db, newer.ruleset.id), rescoreRuleset(db, newer.ruleset.id)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const versions = await listRulesets(db, 'race');
    expect(versions.map((v) => [v.id, v.rescore?.state])).toEqual([
      [newer.ruleset.id, 'done'],
      [older.ruleset.id, 'superseded'],
      [versions[2]!.id, undefined],
    ]);
    expect(versions[0]!.rescore).toMatchObject({ leads: 1, down: 1 });
    expect(await leadByEmail(db, email)).toMatchObject({ stage: 'lead', rule_version: newer.ruleset.version });
  });

  it('a published version survives a restart and a second process on the same database picks it up within its poll', async () => {
    const { db } = getDb();
    const config = configWith({ multi: RULES });
    const a = await loadScorerRegistry(db, config);
    const b = await loadScorerRegistry(db, config);
    const appA = createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers: a.scorers });
    const appB = createApp({ db, config, secretKey: TEST_SECRET_KEY, scorers: b.scorers });
    const watcherB = createRulesetWatcher({ db, scorers: b.scorers, pollMs: 50, rescorePollMs: 60_000 });
    watcherB.start();
    try {
      const published = await (await appA.request('/v1/scoring/rulesets', { method: 'POST', headers: auth(), body: JSON.stringify({ site: 'multi', rules: STRICTER }) })).json();
      await waitForRescore(appA, 'multi');
      for (let i = 0; i < 100 && b.scorers.get('multi')!.version !== published.ruleset.version; i++) await new Promise((r) => setTimeout(r, 20));
      expect(b.scorers.get('multi')!.version).toBe(published.ruleset.version);
      // Process B now scores with it: 11 points stay below 20.
      const email = await pricingLead(appB, 'multi');
      expect(await leadByEmail(db, email)).toMatchObject({ stage: 'lead', rule_version: published.ruleset.version });
    } finally {
      await watcherB.stop();
    }
    // A restart with the same config file keeps the published version in effect.
    const restarted = await loadScorerRegistry(db, config);
    expect(restarted.imports[0]!.outcome).toBe('unchanged');
    expect(restarted.scorers.get('multi')!.rules.thresholds.mql.engagement).toBe(20);
  });
});
