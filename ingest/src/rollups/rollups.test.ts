import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch, testApp, TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { openDatabase } from '../db/openDatabase.js';
import { fillRollups } from '../db/migrations/017_daily_rollups.js';
import { dailyTrend } from '../reports/dailyTrend.js';
import { periodVisitors } from '../reports/funnelFigures.js';
import { pageTraffic } from '../reports/pageTraffic.js';
import { expireAnonymousVisitors } from '../retention/expireAnonymousVisitors.js';
import { catchUpRollups, processRollupQueue } from './processRollupQueue.js';
import { MAX_STORED_PATH } from '../collect/toEventRow.js';
import { lockVisitorRows } from '../pipeline/visitorRows.js';
import { planMemberDays } from './planMemberDays.js';

const DAY = 86_400_000;
/** Noon today, UTC, on whole seconds: events never fall on a period's last millisecond. */
const T = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000;
const TOMORROW = Math.floor(T / DAY) * DAY + DAY;

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Demo-site pages of every stage (URL rules tag /blog, /guides, /pricing…), and untagged ones.
const PATHS = ['/blog/a', '/blog/b', '/guides/close', '/pricing', '/demo', '/about', '/careers', '/'];

it('places a new active day among the stored ones, and re-links the day after it', () => {
  expect(planMemberDays([], [5, 3, 5])).toEqual({
    rows: [
      { day: 3, prev: -1 },
      { day: 5, prev: 3 },
    ],
    deltas: [
      { day: 3, prev: -1, by: 1 },
      { day: 5, prev: 3, by: 1 },
    ],
  });
  // A late event on day 12, between stored days 10 and 14: day 14 now follows day 12.
  expect(planMemberDays([{ day: 10, prev: -1 }, { day: 14, prev: 10 }], [12])).toEqual({
    rows: [
      { day: 12, prev: 10 },
      { day: 14, prev: 12 },
    ],
    deltas: [
      { day: 12, prev: 10, by: 1 },
      { day: 14, prev: 10, by: -1 },
      { day: 14, prev: 12, by: 1 },
    ],
  });
  // An earliest day: the old first day now has a previous one.
  expect(planMemberDays([{ day: 10, prev: -1 }], [2]).rows).toEqual([
    { day: 2, prev: -1 },
    { day: 10, prev: 2 },
  ]);
  // Days already stored change nothing: folding an event twice is harmless.
  expect(planMemberDays([{ day: 10, prev: -1 }, { day: 14, prev: 10 }], [14, 10])).toEqual({ rows: [], deltas: [] });
});

describeEachDialect('daily rollups', (getDb) => {
  const app = () => testApp(getDb().db, () => T);
  const send = (events: TrackedEvent[]) => postBatch(app(), { site: 'demo', sentAt: T, events });

  /** Every figure the dashboard reads from the rollups for whole days, next to the same figure counted from the events (a period a millisecond short is not whole days). */
  async function compare(fromDay: number, toDay: number) {
    const { db } = getDb();
    const whole = { site: 'demo', from: fromDay * DAY, to: toDay * DAY };
    const scanned = { ...whole, to: whole.to - 1 };
    return {
      rollups: { visitors: await periodVisitors(db, whole), traffic: await pageTraffic(db, whole), trend: (await dailyTrend(db, whole)).visitors },
      events: { visitors: await periodVisitors(db, scanned), traffic: await pageTraffic(db, scanned), trend: (await dailyTrend(db, scanned)).visitors },
    };
  }

  /** Every period of whole days within the last `days` (some lengths), compared. */
  async function expectExactEverywhere(days = 24) {
    const today = Math.floor(T / DAY);
    for (const length of [1, 2, 7, days]) {
      for (let start = today - days + 1; start + length <= today + 1; start += Math.max(1, Math.floor(length / 2))) {
        const { rollups, events } = await compare(start, start + length);
        expect(rollups, `days ${start - today}…${start - today + length - 1}`).toEqual(events);
      }
    }
  }

  it('counts distinct visitors, page views and content groups exactly for any whole-day period, however late and in whatever order events arrive', async () => {
    const rnd = random(20261129);
    const visitors = Array.from({ length: 40 }, () => ({ visitorId: 'v_' + newId(), sessionId: 's_' + newId() }));
    const events: TrackedEvent[] = [];
    for (let i = 0; i < 600; i++) {
      const v = visitors[Math.floor(rnd() ** 2 * visitors.length)]!;
      const path = PATHS[Math.floor(rnd() * PATHS.length)]!;
      // Up to 25 days back, whole seconds.
      const ts = T - Math.floor(rnd() * 25 * 86_400) * 1000;
      const type = rnd() < 0.85 ? 'pageview' : 'download';
      events.push(makeEvent({ ...v, ts, type, ...(type === 'download' ? { name: 'guide.pdf' } : {}), path, url: `${DEMO_ORIGIN}${path}` }));
    }
    // Shuffled, in batches folded as they come: late days land between stored ones.
    events.sort(() => rnd() - 0.5);
    for (let i = 0; i < events.length; i += 60) {
      const res = await send(events.slice(i, i + 60));
      expect(res.status, await res.clone().text()).toBe(200);
      if ((i / 60) % 3 === 0) await processRollupQueue(getDb().db, { limit: 2 });
    }
    // The same batch again (a retry): stored once, folded once.
    expect((await send(events.slice(0, 60))).status).toBe(200);
    await catchUpRollups(getDb().db);
    expect(await getDb().db.selectFrom('rollup_queue').select('seq').execute()).toEqual([]);
    const month = await compare(Math.floor(T / DAY) - 29, Math.floor(T / DAY) + 1);
    // The data set means something: many pages and visitors, several groups.
    expect(month.rollups.visitors).toBeGreaterThan(30);
    expect(month.rollups.traffic.groups.length).toBeGreaterThan(2);
    await expectExactEverywhere();
  });

  it('the upgrade builds the same rollups from stored events as the job folds in', async () => {
    const { db } = getDb();
    await catchUpRollups(db);
    const folded = await compare(Math.floor(T / DAY) - 29, Math.floor(T / DAY) + 1);
    await fillRollups(db);
    expect(await compare(Math.floor(T / DAY) - 29, Math.floor(T / DAY) + 1)).toEqual(folded);
  });

  it('folds one commit once when several processes run the job at the same time', async () => {
    const { db, url, dialect } = getDb();
    const events = Array.from({ length: 300 }, (_, i) => {
      const v = { visitorId: `v_parallel_${i % 37}`, sessionId: `s_parallel_${i % 37}` };
      const path = PATHS[i % PATHS.length]!;
      return makeEvent({ ...v, ts: T - (i % 9) * DAY - i * 1000, path, url: `${DEMO_ORIGIN}${path}` });
    });
    for (let i = 0; i < events.length; i += 10) {
      const res = await send(events.slice(i, i + 10));
      expect(res.status, await res.clone().text()).toBe(200);
    }
    // PostgreSQL: three processes' connections; SQLite is one process, where passes overlap on one connection.
    const others = dialect === 'postgres' ? [openDatabase(url).db, openDatabase(url).db] : [db, db];
    try {
      await Promise.all([db, ...others].map((d) => catchUpRollups(d, 3)));
    } finally {
      if (dialect === 'postgres') await Promise.all(others.map((d) => d.destroy()));
    }
    await expectExactEverywhere(10);
  });

  it('keeps a page no matter how long its path: the path is cut to what an index key holds, and the rollups fold it', async () => {
    const { db } = getDb();
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    // 1,999 characters of three bytes each: about 6,000 bytes, over PostgreSQL's index-key limit.
    const path = '/' + '頁'.repeat(1998);
    const res = await send([makeEvent({ ...v, ts: T - DAY, path, url: `${DEMO_ORIGIN}/long` })]);
    expect(res.status, await res.clone().text()).toBe(200);
    const stored = await db.selectFrom('events').select('path').where('visitor_id', '=', v.visitorId).executeTakeFirstOrThrow();
    expect(Array.from(stored.path)).toHaveLength(MAX_STORED_PATH);
    expect(path.startsWith(stored.path)).toBe(true);
    await catchUpRollups(db);
    expect(await db.selectFrom('rollup_queue').select('seq').execute()).toEqual([]);
    await expectExactEverywhere();
  });

  it('an erasure holds its browsers: a commit for one of them waits until the erasure ends', async () => {
    const { db, dialect } = getDb();
    const v = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    await send([makeEvent({ ...v, ts: T - DAY, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` })]);
    let committed = false;
    let later: Promise<Response> | undefined;
    await db.transaction().execute(async (trx) => {
      await lockVisitorRows(trx, 'demo', [v.visitorId]);
      later = Promise.resolve(send([makeEvent({ ...v, ts: T - 2 * DAY, path: '/blog/a', url: `${DEMO_ORIGIN}/blog/a` })])).then((r) => ((committed = true), r));
      await new Promise((r) => setTimeout(r, 300));
      // SQLite's one writer serialises them anyway; on PostgreSQL the row lock does.
      if (dialect === 'postgres') expect(committed).toBe(false);
    });
    expect((await later!).status).toBe(200);
    await catchUpRollups(db);
    await expectExactEverywhere();
  });

  it('erasing a lead and expiring anonymous visitors take their browsers out of the rollups, keeping the figures exact', async () => {
    const { db } = getDb();
    const person = { visitorId: 'v_' + newId(), sessionId: 's_' + newId() };
    const email = `rollups-${newId()}@fernhill.example`;
    await send([
      makeEvent({ ...person, ts: T - 3 * DAY, path: '/blog/a', url: `${DEMO_ORIGIN}/blog/a` }),
      makeEvent({ ...person, ts: T - DAY, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
      makeEvent({ ...person, ts: T - DAY + 1000, type: 'form', name: 'contact', path: '/contact', url: `${DEMO_ORIGIN}/contact`, traits: { email } }),
    ]);
    await catchUpRollups(db);
    expect((await db.selectFrom('rollup_members').select('member').where('member', '=', person.visitorId).execute()).length).toBeGreaterThan(0);
    const lead = await db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    // Queued but not yet folded when the erasure runs: nothing of it may come back later.
    await send([makeEvent({ ...person, ts: T - 2 * DAY, path: '/guides/close', url: `${DEMO_ORIGIN}/guides/close` })]);
    const res = await app().request(`/v1/leads/${lead.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect(res.status).toBe(200);
    await catchUpRollups(db);
    expect(await db.selectFrom('rollup_members').select('member').where('member', '=', person.visitorId).execute()).toEqual([]);
    await expectExactEverywhere();

    // Anonymous visitors past the site's retention leave the rollups with their events.
    const before = await periodVisitors(db, { site: 'demo', from: TOMORROW - 30 * DAY, to: TOMORROW });
    const config = { sites: [{ key: 'demo', anonymousRetentionDays: 1 }] } as unknown as Parameters<typeof expireAnonymousVisitors>[1];
    const expired = await expireAnonymousVisitors(db, config, T + 2 * DAY);
    expect(expired.visitors).toBeGreaterThan(0);
    await catchUpRollups(db);
    expect(await periodVisitors(db, { site: 'demo', from: TOMORROW - 30 * DAY, to: TOMORROW })).toBeLessThan(before);
    await expectExactEverywhere();
  });
});
