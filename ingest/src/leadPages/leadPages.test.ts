import { expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openDatabase } from '../db/openDatabase.js';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch, testApp, TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import type { Database } from '../db/schema.js';
import { refreshFirstTouches } from '../firstTouch/refreshFirstTouches.js';
import { contentBeforeConversion } from '../reports/contentBeforeConversion.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T = Math.floor(Date.now() / 1000) * 1000;
const SITE = 'scored';

/** A lead's pages as the events and links say, straight from them: what `lead_pages` must hold. */
async function pagesFromEvents(db: Kysely<Database>, leadId: string) {
  const windows = [
    ...(await db.selectFrom('lead_visitors').select(['visitor_id', 'from_ts']).where('lead_id', '=', leadId).execute()).map((w) => ({ ...w, until_ts: Infinity })),
    ...(await db.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', '=', leadId).execute()),
  ];
  const first = new Map<string, number>();
  for (const w of windows) {
    const views = await db.selectFrom('events').select(['path', 'stage', 'ts']).where('site_id', '=', SITE).where('visitor_id', '=', w.visitor_id).where('type', '=', 'pageview').execute();
    for (const v of views) {
      if (v.ts < w.from_ts || v.ts >= w.until_ts) continue;
      const key = `${v.path} ${v.stage ?? ''}`;
      first.set(key, Math.min(first.get(key) ?? Infinity, Number(v.ts)));
    }
  }
  return [...first].map(([key, at]) => `${key} ${at}`).sort();
}

const storedPages = async (db: Kysely<Database>, leadId: string) =>
  (await db.selectFrom('lead_pages').select(['path', 'stage', 'first_at']).where('lead_id', '=', leadId).execute()).map((r) => `${r.path} ${r.stage} ${Number(r.first_at)}`).sort();

/**
 * The content report computed the straightforward way: every conversion of the period (lead
 * creations; handovers to sales by scoring or a rescore), merged leads left out, and for each
 * the pages its browsers viewed up to that moment, from the events.
 */
async function reportFromEvents(db: Kysely<Database>, from: number, to: number) {
  const changes = await db
    .selectFrom('stage_changes as sc')
    .innerJoin('leads as l', 'l.id', 'sc.lead_id')
    .select(['sc.lead_id', 'sc.at', 'sc.from_stage', 'sc.to_stage', 'sc.source'])
    .where('l.site_id', '=', SITE)
    .where('l.merged_into', 'is', null)
    .where('sc.at', '>=', from)
    .where('sc.at', '<', to)
    .execute();
  const kindOf = (c: (typeof changes)[number]) =>
    c.from_stage === 'visitor' && c.to_stage === 'lead' ? 'lead' : ['mql', 'sql'].includes(c.to_stage) && ['visitor', 'lead', 'recycled'].includes(c.from_stage) && c.source !== 'api' ? 'mql' : undefined;
  const pages = new Map<string, { leads: Set<string>; mqls: Set<string> }>();
  const stages = new Map<string | null, { leads: Set<string>; mqls: Set<string> }>();
  const totals = { lead: new Set<string>(), mql: new Set<string>() };
  for (const c of changes) {
    const kind = kindOf(c);
    if (!kind) continue;
    totals[kind].add(c.lead_id);
    for (const row of await pagesFromEvents(db, c.lead_id)) {
      const [path, stage, at] = row.split(' ') as [string, string, string];
      if (Number(at) > Number(c.at)) continue;
      for (const [map, key] of [
        [pages, path],
        [stages, stage || null],
      ] as const) {
        const entry = (map as Map<string | null, { leads: Set<string>; mqls: Set<string> }>).get(key) ?? { leads: new Set(), mqls: new Set() };
        entry[kind === 'lead' ? 'leads' : 'mqls'].add(c.lead_id);
        (map as Map<string | null, { leads: Set<string>; mqls: Set<string> }>).set(key, entry);
      }
    }
  }
  const counted = <K>(map: Map<K, { leads: Set<string>; mqls: Set<string> }>) => [...map].map(([key, s]) => ({ key, leads: s.leads.size, mqls: s.mqls.size }));
  return {
    leads: totals.lead.size,
    mqls: totals.mql.size,
    pages: counted(pages).map(({ key, ...n }) => ({ path: key, ...n })).sort((a, b) => b.leads - a.leads || b.mqls - a.mqls || (a.path < b.path ? -1 : 1)),
    stages: counted(stages).map(({ key, ...n }) => ({ stage: key, ...n })).sort((a, b) => String(a.stage).localeCompare(String(b.stage))),
  };
}

describeEachDialect('lead pages', (getDb) => {
  const app = () => testApp(getDb().db, () => T);
  const send = async (events: TrackedEvent[]) => {
    const res = await postBatch(app(), { site: SITE, sentAt: T, events });
    expect(await res.json()).toMatchObject({ accepted: events.length });
  };
  const browser = () => ({ visitorId: 'v_' + newId(), sessionId: 's_' + newId() });
  const page = (v: ReturnType<typeof browser>, at: number, path: string) => makeEvent({ ...v, ts: at, path, url: `${DEMO_ORIGIN}${path}` });
  const form = (v: ReturnType<typeof browser>, at: number, email: string) => makeEvent({ ...v, ts: at, type: 'form', name: 'newsletter', path: '/signup', url: `${DEMO_ORIGIN}/signup`, traits: { email, jobTitle: 'CFO' } });
  const download = (v: ReturnType<typeof browser>, at: number) => makeEvent({ ...v, ts: at, type: 'download', name: 'guide.pdf', path: '/guides/close', url: `${DEMO_ORIGIN}/guides/close` });
  const leadOf = async (email: string) => {
    const lead = await getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    return { ...lead, pending: Number(lead.touch_seq) > Number(lead.touch_done) };
  };
  const refreshAll = async () => {
    while ((await refreshFirstTouches(getDb().db, 2)) === 2);
  };
  /** Stored pages equal the events' once the job has caught up, and the report is the straightforward one's before and after it. */
  const expectExact = async (leadIds: string[]) => {
    const { db } = getDb();
    const period = { from: T - 10 * DAY, to: T + MIN };
    const expected = await reportFromEvents(db, period.from, period.to);
    const report = async () => {
      const r = await contentBeforeConversion(db, { site: SITE, ...period, sample: 10_000 });
      return { leads: r.leads, mqls: r.mqls, pages: r.pages, stages: [...r.stages].sort((a, b) => String(a.stage).localeCompare(String(b.stage))) };
    };
    expect(await report()).toEqual(expected);
    await refreshAll();
    for (const id of leadIds) expect(await storedPages(db, id)).toEqual(await pagesFromEvents(db, id));
    expect(await report()).toEqual(expected);
  };

  it('adds new and earlier page views of a linked browser as they are stored, with no rebuild', async () => {
    const v = browser();
    await send([page(v, T - 60 * MIN, '/blog/a'), page(v, T - 59 * MIN, '/pricing'), form(v, T - 58 * MIN, 'reader@pages.example')]);
    const { id } = await leadOf('reader@pages.example');
    await expectExact([id]);
    expect(await storedPages(getDb().db, id)).toEqual([`/blog/a  ${T - 60 * MIN}`, `/pricing bottom ${T - 59 * MIN}`]);
    // In order, after the form: stored by the write path, the lead stays current.
    await send([page(v, T - 50 * MIN, '/guides/close'), page(v, T - 49 * MIN, '/blog/a'), download(v, T - 48 * MIN)]);
    expect((await leadOf('reader@pages.example')).pending).toBe(false);
    expect(await storedPages(getDb().db, id)).toEqual(await pagesFromEvents(getDb().db, id));
    // A late page view from before everything (an offline queue): the page's first view moves earlier.
    await send([page(v, T - 90 * MIN, '/pricing')]);
    expect(await storedPages(getDb().db, id)).toContain(`/pricing bottom ${T - 90 * MIN}`);
    await expectExact([id]);
  });

  it('brings in the earlier history of a browser linked later, exact in the report before the job has run', async () => {
    const laptop = browser();
    await send([page(laptop, T - 40 * MIN, '/pricing'), form(laptop, T - 39 * MIN, 'two@pages.example')]);
    await refreshAll();
    const { id } = await leadOf('two@pages.example');
    const phone = browser();
    await send([page(phone, T - 2 * DAY, '/blog/early'), page(phone, T - DAY, '/guides/close'), form(phone, T - 30 * MIN, 'two@pages.example'), download(phone, T - 29 * MIN)]);
    expect((await leadOf('two@pages.example')).pending).toBe(true);
    await expectExact([id]);
    expect(await storedPages(getDb().db, id)).toContain(`/blog/early  ${T - 2 * DAY}`);
  });

  it("gives the survivor of a merge the pages of both and drops the merged lead's", async () => {
    const a = browser();
    const b = browser();
    await send([page(a, T - 20 * MIN, '/pricing'), form(a, T - 19 * MIN, 'keep@pages.example'), page(b, T - 5 * 60 * MIN, '/blog/merged'), form(b, T - 18 * MIN, 'dupe@pages.example')]);
    await refreshAll();
    const [keep, dupe] = [await leadOf('keep@pages.example'), await leadOf('dupe@pages.example')];
    const res = await app().request(`/v1/leads/${keep.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: dupe.id }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(await storedPages(getDb().db, dupe.id)).toEqual([]);
    await expectExact([keep.id]);
    expect(await storedPages(getDb().db, keep.id)).toContain(`/blog/merged  ${T - 5 * 60 * MIN}`);
  });

  it("forgets an erased person's pages, and the earlier person on a shared browser loses that browser's", async () => {
    const shared = browser();
    await send([page(shared, T - 16 * MIN, '/blog/first-person'), form(shared, T - 15 * MIN, 'first@pages.example'), form(shared, T - 14 * MIN, 'second@pages.example'), page(shared, T - 13 * MIN, '/pricing')]);
    const [first, second] = [await leadOf('first@pages.example'), await leadOf('second@pages.example')];
    // The first person's window of the browser (an earlier link) counts for them, read live and kept.
    await expectExact([first.id, second.id]);
    expect(await storedPages(getDb().db, first.id)).toEqual([`/blog/first-person  ${T - 16 * MIN}`]);
    expect(await storedPages(getDb().db, second.id)).toEqual([`/pricing bottom ${T - 13 * MIN}`]);
    const res = await app().request(`/v1/leads/${second.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect(res.status).toBe(200);
    expect(await getDb().db.selectFrom('lead_pages').selectAll().where('lead_id', '=', second.id).execute()).toEqual([]);
    expect((await leadOf('first@pages.example')).pending).toBe(true);
    await expectExact([first.id]);
    expect(await storedPages(getDb().db, first.id)).toEqual([]);
  });

  it('keeps a page view a writer stores while the job rebuilds the lead (in another process)', async () => {
    const v = browser();
    await send([page(v, T - 12 * MIN, '/blog/racing'), form(v, T - 11 * MIN, 'racing@pages.example')]);
    const { id } = await leadOf('racing@pages.example');
    const { db } = getDb();
    const other = openDatabase(getDb().url).db;
    let done = false;
    // Right after the pass has read which leads are due, another process stores an in-order page view of the lead.
    const racing = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (!done && args.result.rows?.some((r: any) => r?.id === id && 'touch_seq' in r && !('email' in r))) {
          done = true;
          const res = await postBatch(testApp(other, () => T), { site: SITE, sentAt: T, events: [page(v, T - 10 * MIN, '/pricing')] });
          expect(await res.json()).toMatchObject({ accepted: 1 });
        }
        return args.result;
      },
    });
    await refreshFirstTouches(racing, 500).finally(() => other.destroy());
    expect(done).toBe(true);
    expect(await storedPages(db, id)).toEqual([`/blog/racing  ${T - 12 * MIN}`, `/pricing bottom ${T - 10 * MIN}`]);
    await expectExact([id]);
  });
});
