import { expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import { createApp, createScorers } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import { fillHandovers } from '../db/migrations/018_handovers.js';
import type { Database } from '../db/schema.js';
import { mergeLeads } from '../leads/mergeLeads.js';
import { recordFeedback } from '../leads/recordFeedback.js';
import { dailyTrend } from '../reports/dailyTrend.js';
import { funnelFigures } from '../reports/funnelFigures.js';
import { speedToLead } from '../reports/speedToLead.js';
import { replayLead } from '../replay/replaySubject.js';
import { createScorer } from '../scoring/engine.js';
import { followUpSummary } from './followUpSummary.js';
import { weeklyEvaluation } from './weeklyEvaluation.js';

const MIN = 60_000;
/** Pricing 6 (once) + download 5 = 11 points: an MQL at threshold 10, at the download. */
const rules = (mql: number) => ({ thresholds: { mql: { engagement: mql, fit: 0 } }, engagement: [{ id: 'pricing', match: { type: 'pageview', path: '/pricing' }, points: 6, limit: 'once' }, { id: 'download', match: { type: 'download' }, points: 5 }] });
const config = parseConfig({ sites: [{ key: 'ho', allowedOrigins: [DEMO_ORIGIN], scoring: rules(10), followUp: { mqlResponseMinutes: 30 } }] }, 'handovers test');
const site = config.sites[0]!;
const scorers = createScorers(config);
/** The same site's rules with the MQL threshold out of reach: a rescore under them takes MQLs back to lead. */
const strict = createScorer(parseConfig({ sites: [{ key: 'ho', allowedOrigins: [DEMO_ORIGIN], scoring: rules(100) }] }, 'strict').sites[0]!.scoring);
const appAt = (db: Kysely<Database>, now: number) => createApp({ db, config, secretKey: TEST_SECRET_KEY, now: () => now });

/** A lead qualified (MQL) at `at` exactly: its download, the last of its events, crosses the threshold. */
async function mqlAt(db: Kysely<Database>, at: number) {
  const visitorId = 'v_' + newId();
  const sessionId = 's_' + newId();
  const email = `ho-${newId()}@fernhill.example`;
  const events = [
    makeEvent({ visitorId, sessionId, ts: at - 2000, type: 'form', name: 'contact', traits: { email }, path: '/contact', url: `${DEMO_ORIGIN}/contact` }),
    makeEvent({ visitorId, sessionId, ts: at - 1000, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
    makeEvent({ visitorId, sessionId, ts: at, type: 'download', name: 'sheet.pdf' }),
  ];
  expect((await postBatch(appAt(db, at), { site: 'ho', sentAt: at, events })).status).toBe(200);
  const lead = await db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
  expect(lead.stage).toBe('mql');
  return lead;
}

/** Rescores a lead under `scorer` as a published rule set does (stages scoring owns may go down). */
async function rescore(db: Kysely<Database>, leadId: string, scorer: typeof strict, at: number) {
  await db.transaction().execute(async (trx) => {
    const lead = await trx.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirstOrThrow();
    await replayLead(trx, scorer, lead, at, { source: 'rescore', allowDown: true });
  });
}

/** The handover columns of every stage change, as the write path or the migration left them. */
const kept = (db: Kysely<Database>) =>
  db.selectFrom('stage_changes').select(['id', 'lead_id', 'site_id', 'handover', 'first_answer_at', 'prev_handover_at', 'awaiting']).orderBy('id').execute().then((rows) => rows.map((r) => ({ ...r, first_answer_at: r.first_answer_at === null ? null : Number(r.first_answer_at), prev_handover_at: r.prev_handover_at === null ? null : Number(r.prev_handover_at), handover: Number(r.handover), awaiting: Number(r.awaiting) })));

/**
 * What the kept columns stand for, computed as the reports did before they were kept: the
 * handovers by their stage change's stages and source, each one's first answer from the
 * feedback, and open ones from the lead's stage now.
 */
async function derived(db: Kysely<Database>) {
  const changes = await db.selectFrom('stage_changes').selectAll().orderBy('at').orderBy('id').execute();
  const feedback = await db.selectFrom('feedback').select(['lead_id', 'at']).execute();
  const leads = new Map((await db.selectFrom('leads').select(['id', 'site_id', 'stage']).execute()).map((l) => [l.id, l]));
  const previous = new Map<string, number>();
  return changes
    .map((c) => {
      const handover = ['mql', 'sql'].includes(c.to_stage) && ['visitor', 'lead', 'recycled'].includes(c.from_stage) && ['scoring', 'rescore'].includes(c.source) ? 1 : 0;
      const answers = feedback.filter((f) => f.lead_id === c.lead_id && Number(f.at) >= Number(c.at)).map((f) => Number(f.at));
      const first = handover && answers.length ? Math.min(...answers) : null;
      const prev = handover ? (previous.get(c.lead_id) ?? null) : null;
      if (handover) previous.set(c.lead_id, Number(c.at));
      const awaiting = handover && first === null && ['mql', 'sql'].includes(leads.get(c.lead_id)!.stage) ? 1 : 0;
      return { id: c.id, lead_id: c.lead_id, site_id: leads.get(c.lead_id)!.site_id, handover, first_answer_at: first, prev_handover_at: prev, awaiting };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

describeEachDialect('handovers kept for the reports', (getDb) => {
  const t0 = Math.floor(Date.now() / MIN) * MIN - 6 * 3_600_000;
  const period = { from: t0 - MIN, to: t0 + 5 * 3_600_000 };

  it('keeps each handover\'s first answer exact as feedback arrives, in any order, and the reports read the same answer', async () => {
    const { db } = getDb();
    const lead = await mqlAt(db, t0);
    const first = async () => (await db.selectFrom('stage_changes').select(['first_answer_at', 'awaiting']).where('lead_id', '=', lead.id).where('handover', '=', 1).executeTakeFirstOrThrow());
    expect(await first()).toEqual({ first_answer_at: null, awaiting: 1 });
    expect(await followUpSummary(db, site, { ...period, now: t0 + 40 * MIN })).toMatchObject({ mqls: 1, answered: 0, open: 1, overdue: 1 });
    await recordFeedback(db, scorers, lead.id, { type: 'contacted' }, t0 + 20 * MIN);
    expect(await first()).toMatchObject({ first_answer_at: t0 + 20 * MIN, awaiting: 0 });
    // A later answer changes nothing; one recorded afterwards with an earlier time is the first.
    await recordFeedback(db, scorers, lead.id, { type: 'contacted' }, t0 + 50 * MIN);
    expect(Number((await first()).first_answer_at)).toBe(t0 + 20 * MIN);
    await recordFeedback(db, scorers, lead.id, { type: 'contacted' }, t0 + 5 * MIN);
    expect(Number((await first()).first_answer_at)).toBe(t0 + 5 * MIN);
    // The follow-up agreement and speed to lead count the same first answer.
    expect(await followUpSummary(db, site, { ...period, now: t0 + 60 * MIN })).toMatchObject({ mqls: 1, answered: 1, answeredWithin: { count: 1, share: 1 }, open: 0, overdue: 0 });
    expect(await speedToLead(db, { site: 'ho', ...period })).toEqual({ handovers: 1, answered: 1, medianMs: 5 * MIN, p90Ms: 5 * MIN });
    expect(await kept(db)).toEqual(await derived(db));
  });

  it('a rescore below MQL leaves sales nothing to answer; qualifying again is a new handover of the same MQL, counted once', async () => {
    const { db } = getDb();
    const lead = await mqlAt(db, t0 + 60 * MIN);
    await rescore(db, lead.id, strict, t0 + 61 * MIN);
    expect((await db.selectFrom('leads').select('stage').where('id', '=', lead.id).executeTakeFirstOrThrow()).stage).toBe('lead');
    const open = async () => (await followUpSummary(db, site, { from: t0 + 59 * MIN, to: period.to, now: t0 + 62 * MIN })).open;
    expect(await open()).toBe(0);
    expect(await kept(db)).toEqual(await derived(db));
    // Back under the site's rules: MQL again, a second handover, open again. Its stage change is
    // dated when the rescore ran, not at the download: sales could not have answered before.
    await rescore(db, lead.id, scorers.get('ho')!, t0 + 62 * MIN);
    const handovers = await db.selectFrom('stage_changes').select(['at', 'prev_handover_at', 'awaiting']).where('lead_id', '=', lead.id).where('handover', '=', 1).orderBy('at').orderBy('id').execute();
    expect(handovers.map((h) => [Number(h.at), h.prev_handover_at === null ? null : Number(h.prev_handover_at), Number(h.awaiting)])).toEqual([
      [t0 + 60 * MIN, null, 1],
      [t0 + 62 * MIN, t0 + 60 * MIN, 1],
    ]);
    expect(await open()).toBe(2);
    const range = { site: 'ho', from: t0 + 59 * MIN, to: period.to };
    expect(await funnelFigures(db, range)).toMatchObject({ mqls: 1 });
    expect((await dailyTrend(db, range)).mqls.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await weeklyEvaluation(db, 'ho', { from: range.from, to: range.to })).outcomes).toMatchObject({ mqls: 1, noAnswer: 1 });
    // One answer answers both.
    await recordFeedback(db, scorers, lead.id, { type: 'accepted' }, t0 + 70 * MIN);
    expect(await followUpSummary(db, site, { from: range.from, to: range.to, now: t0 + 80 * MIN })).toMatchObject({ mqls: 2, answered: 2, open: 0 });
    expect(await kept(db)).toEqual(await derived(db));
  });

  it('leaves merged leads out, as it did when it checked each lead', async () => {
    const { db } = getDb();
    const from = t0 + 120 * MIN;
    const keep = await mqlAt(db, from + MIN);
    const duplicate = await mqlAt(db, from + 2 * MIN);
    const range = { site: 'ho', from, to: period.to };
    expect(await funnelFigures(db, range)).toMatchObject({ mqls: 2 });
    await mergeLeads(db, scorers, keep.id, duplicate.id, from + 3 * MIN);
    expect(await funnelFigures(db, range)).toMatchObject({ mqls: 1 });
    expect(await followUpSummary(db, site, { from, to: period.to, now: from + 4 * MIN })).toMatchObject({ mqls: 1, open: 1 });
    expect(await speedToLead(db, range)).toMatchObject({ handovers: 1 });
    expect((await weeklyEvaluation(db, 'ho', { from, to: period.to })).outcomes.mqls).toBe(1);
  });

  it('migration 018 fills the kept columns from the stored history exactly as the write path keeps them', async () => {
    const { db } = getDb();
    const written = await kept(db);
    expect(written.filter((r) => r.handover).length).toBeGreaterThan(3);
    // As before the migration: nothing kept.
    await db.updateTable('stage_changes').set({ site_id: sql<string>`null`, handover: 0, first_answer_at: null, prev_handover_at: null, awaiting: 0 }).execute();
    await fillHandovers(db);
    expect(await kept(db)).toEqual(written);
  });
});
