import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listDemoPages } from '../../../demo-site/createDemoSite.js';
import { parsePage } from '../../../demo-site/renderPage.js';
import { createTestDatabase, describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, makeEvent, postBatch, testApp } from '../../../test/support/ingest.js';
import { rescoreAll } from '../admin/rescore.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/loadConfig.js';
import { fromJson, toJson } from '../db/json.js';
import { STAGES } from '../scoring/lifecycle.js';
import { createScorer } from '../scoring/engine.js';
import { readSettings } from '../settings.js';
import { startIngest } from '../startIngest.js';
import { planDemoHistory } from './planDemoHistory.js';
import { seedDemoData } from './seedDemoData.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const config = loadConfig(DEFAULT_CONFIG_PATH, {});
const scorers = new Map(config.sites.map((s) => [s.key, createScorer(s.scoring)]));
const pagesDir = fileURLToPath(new URL('../../../demo-site/pages/', import.meta.url));

describe('the demo history', () => {
  it('is the same story every time: seeded, not random', () => {
    const now = Date.UTC(2026, 10, 29, 7, 0);
    const a = planDemoHistory({ now, visitors: 50, origin: 'http://localhost:3000' });
    expect(planDemoHistory({ now, visitors: 50, origin: 'http://localhost:3000' })).toEqual(a);
    expect(planDemoHistory({ now, visitors: 50, origin: 'http://localhost:3000', seed: 'another' })).not.toEqual(a);
  });

  it('browses the demo site’s real pages, with their titles and funnel markup', async () => {
    const now = Date.now();
    const paths = new Set(await listDemoPages());
    const seen = new Set<string>();
    for (const q of planDemoHistory({ now, visitors: 300, origin: 'http://localhost:3000' })) {
      if (q.kind !== 'browser') continue;
      for (const e of q.events) {
        const url = new URL(e.url);
        const file = url.pathname === '/thanks' ? `thanks/${url.searchParams.get('form')}.html` : url.pathname.endsWith('/') ? `${url.pathname.slice(1)}index.html` : `${url.pathname.slice(1) || 'index'}.html`;
        if (seen.has(file + e.title)) continue;
        seen.add(file + e.title);
        expect(paths.has(url.pathname), url.pathname).toBe(true);
        const page = parsePage(await readFile(pagesDir + file, 'utf8'));
        expect(e.title).toBe(`${page.title} · Northwind Ledger`);
        expect([e.stage, e.category]).toEqual([page.stage, page.category]);
      }
    }
    // Every page of the funnel is visited, top to bottom, and careers.
    for (const path of ['/blog/five-signs-your-close-is-too-slow', '/guides/month-end-close-checklist', '/resources/', '/pricing', '/demo', '/newsletter', '/careers/']) {
      expect([...seen].some((s) => s.startsWith(`${path.slice(1)}${path.endsWith('/') ? 'index' : ''}.html`)), path).toBe(true);
    }
  });

  it('is on unless LEADBEAM_DEMO_DATA says 0 (or false); anything else is refused', () => {
    const base = { LEADBEAM_SECRET_KEY: TEST_SECRET_KEY };
    expect(readSettings(base).demoData).toBe(true);
    expect(readSettings({ ...base, LEADBEAM_DEMO_DATA: '1' }).demoData).toBe(true);
    expect(readSettings({ ...base, LEADBEAM_DEMO_DATA: '0' }).demoData).toBe(false);
    expect(readSettings({ ...base, LEADBEAM_DEMO_DATA: 'false' }).demoData).toBe(false);
    expect(() => readSettings({ ...base, LEADBEAM_DEMO_DATA: 'off' })).toThrow(/LEADBEAM_DEMO_DATA: "off" is neither true nor false \(1 or 0\)/);
  });
});

describeEachDialect('demo data', (getDb) => {
  const now = Date.now();

  it('fills an empty database with 60 days of visits, leads in every stage and sales feedback of every kind', async () => {
    const { db } = getDb();
    const report = await seedDemoData(db, config, { now, scorers });
    expect(report).toBeDefined();
    expect(report!.visitors).toBeGreaterThanOrEqual(300);

    const leads = await db.selectFrom('leads').selectAll().execute();
    expect(new Set(leads.map((l) => l.stage))).toEqual(new Set(STAGES.filter((s) => s !== 'visitor')));
    expect(leads.every((l) => l.email.endsWith('.example'))).toBe(true);
    // Fit varies: good fits, poor fits, and a competitor.
    expect(Math.max(...leads.map((l) => l.fit))).toBeGreaterThanOrEqual(35);
    expect(Math.min(...leads.map((l) => l.fit))).toBeLessThan(0);
    const traits = leads.map((l) => fromJson(l.traits));
    for (const trait of ['jobTitle', 'company', 'companySize', 'country'] as const) expect(new Set(traits.map((t) => t[trait]).filter(Boolean)).size, trait).toBeGreaterThan(3);

    const feedback = await db.selectFrom('feedback').selectAll().execute();
    expect(new Set(feedback.map((f) => f.type))).toEqual(new Set(['accepted', 'rejected', 'contacted', 'opportunity', 'won', 'lost']));
    expect(new Set(feedback.filter((f) => f.type === 'rejected').map((f) => f.reason)).size).toBeGreaterThanOrEqual(3);
    // Speed to lead varies: some answers within the hour, some after days.
    const responses = feedback.flatMap((f) => (f.response_ms === null ? [] : [Number(f.response_ms)]));
    expect(responses.some((ms) => ms < HOUR)).toBe(true);
    expect(responses.some((ms) => ms > DAY)).toBe(true);
    // And some MQLs nobody answered: follow-up breaches.
    const handovers = await db.selectFrom('stage_changes').select(['lead_id', 'at']).where('source', '=', 'scoring').where('to_stage', 'in', ['mql', 'sql']).execute();
    const unanswered = leads.filter((l) => l.stage === 'mql' && handovers.some((h) => h.lead_id === l.id && Number(h.at) < now - DAY && !feedback.some((f) => f.lead_id === l.id && Number(f.at) >= Number(h.at))));
    expect(unanswered.length).toBeGreaterThan(0);
    // Feedback comes after what it answers, and before now.
    for (const f of feedback) expect(Number(f.at)).toBeLessThan(now);

    const events = await db.selectFrom('events').select(['ts', 'type', 'name', 'campaign', 'url']).execute();
    const times = events.map((e) => Number(e.ts));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now - 61 * DAY);
    expect(Math.max(...times)).toBeLessThan(now);
    expect(new Set(times.map((t) => Math.floor(t / DAY))).size).toBeGreaterThanOrEqual(50);
    const sources = new Set(events.map((e) => (e.campaign ? fromJson(e.campaign).source ?? fromJson(e.campaign).referrer : undefined)).filter(Boolean));
    expect(sources.size).toBeGreaterThanOrEqual(5);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['pageview', 'engagement', 'download', 'form', 'click', 'track', 'identify']));
    // Server-side senders (email tool, webinar tool, product, calendar) through the Segment mapping.
    const serverSide = new Set(events.filter((e) => e.url.startsWith('app://')).map((e) => e.name));
    for (const name of ['Email Opened', 'Webinar Attended', 'Trial Started']) expect(serverSide.has(name), name).toBe(true);

    // Nothing about the history is waiting to be sent or replayed.
    expect(await db.selectFrom('webhook_deliveries').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('replay_queue').select('subject').execute()).toEqual([]);
  });

  it('scores exactly what the rules give: a rescore changes nothing', async () => {
    const { db } = getDb();
    const snapshot = async () => ({
      leads: (await db.selectFrom('leads').select(['id', 'stage', 'engagement', 'fit']).orderBy('id').execute()).map((l) => ({ ...l, engagement: Math.round(Number(l.engagement) * 1e6) })),
      hits: await db.selectFrom('score_hits').select(['subject', 'event_id', 'rule_id', 'points']).orderBy('subject').orderBy('event_id').orderBy('rule_id').execute(),
    });
    const before = await snapshot();
    expect(before.hits.length).toBeGreaterThan(1000);
    const report = await rescoreAll(db, scorers, { now: () => now });
    expect(report.stageChanges).toEqual({ up: 0, down: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('never seeds a database that holds events', async () => {
    const { db } = getDb();
    const events = Number((await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await seedDemoData(db, config, { now: now + HOUR, scorers })).toBeUndefined();
    expect(Number((await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(events);

    const other = await createTestDatabase(getDb().dialect);
    try {
      expect((await postBatch(testApp(other.db), { events: [makeEvent()] })).status).toBe(200);
      expect(await seedDemoData(other.db, config, { now, scorers })).toBeUndefined();
      expect(await other.db.selectFrom('events').select('id').execute()).toHaveLength(1);
      expect(await other.db.selectFrom('leads').select('id').execute()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('npm start seeds on the first start only, sends no webhook about the history, and seeds nothing with LEADBEAM_DEMO_DATA=0', async () => {
    const fresh = await createTestDatabase(getDb().dialect);
    try {
      // A webhook registered before any event (through the API): the history must not reach it.
      await fresh.db.insertInto('webhooks').values({ id: 'wh_before', site_id: null, url: 'http://127.0.0.1:9/hook', secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', events: toJson(['lead.stage_changed', 'lead.mql']), created_at: now }).execute();
      const start = async (env: Record<string, string> = {}) => {
        const settings = readSettings({ PORT: '0', DATABASE_URL: fresh.url, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, ...env });
        return startIngest(settings, {}, { demoData: settings.demoData });
      };
      const first = await start();
      const leads = await fresh.db.selectFrom('leads').select(['id', 'rule_version']).execute();
      try {
        expect(first.demoData?.leads).toBe(leads.length);
        expect(leads.length).toBeGreaterThan(30);
        // Scored by the rule set the ingest runs with, so nothing is rescored on the first event.
        expect(new Set(leads.map((l) => l.rule_version))).toEqual(new Set([first.sites.find((s) => s.key === 'demo')!.ruleVersion]));
        expect(await fresh.db.selectFrom('webhook_deliveries').select('id').execute()).toEqual([]);
      } finally {
        await first.close();
      }
      const second = await start();
      await second.close();
      expect(second.demoData).toBeUndefined();
      expect(await fresh.db.selectFrom('leads').select('id').execute()).toHaveLength(leads.length);
    } finally {
      await fresh.close();
    }

    const off = await createTestDatabase(getDb().dialect);
    try {
      const settings = readSettings({ PORT: '0', DATABASE_URL: off.url, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_DEMO_DATA: '0' });
      const ingest = await startIngest(settings, {}, { demoData: settings.demoData });
      await ingest.close();
      expect(ingest.demoData).toBeUndefined();
      expect(await off.db.selectFrom('events').select('id').execute()).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
