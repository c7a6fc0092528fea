import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { signIn, type DashboardClient } from '../../../../test/support/dashboard.js';
import { makeEvent, newId, postBatch, testApp } from '../../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../../shared/src/types.js';
import { contentBeforeConversion } from '../../reports/contentBeforeConversion.js';
import { pageRulePreview } from '../../reports/pageRulePreview.js';
import { pageTraffic } from '../../reports/pageTraffic.js';
import { untaggedPages } from '../../reports/untaggedPages.js';

const MIN = 60_000;
const DAY = 86_400_000;

/** The cells of the table row marked `data-<attr>="<value>"`, as text. */
function rowCells(html: string, attr: string, value: string): string[] {
  const row = new RegExp(`<tr data-${attr}="${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
  if (row === undefined) throw new Error(`no row ${attr}=${value}`);
  return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '').trim());
}

it('previews each URL rule with the paths it matches, the first match deciding, and lists only pages no rule or markup tags', () => {
  const rules = [
    { match: '/blog/**', stage: 'top' as const, category: 'blog' },
    { match: '/blog/launch', stage: 'bottom' as const },
    { match: '/docs/*', category: 'docs' },
  ];
  const pages = [
    { path: '/blog', views: 1, stage: null, category: null },
    { path: '/blog/launch', views: 9, stage: 'top', category: 'blog' },
    { path: '/docs/a/b', views: 4, stage: null, category: null },
    { path: '/docs/a', views: 2, stage: null, category: null },
    { path: '/about', views: 3, stage: null, category: null },
    { path: '/tagged-by-markup', views: 3, stage: 'middle', category: null },
  ];
  const preview = pageRulePreview(rules, pages, { perRule: 1 });
  expect(preview.map((r) => [r.rule.match, r.matched, r.views, r.paths])).toEqual([
    ['/blog/**', 2, 10, [{ path: '/blog/launch', views: 9 }]],
    ['/blog/launch', 1, 9, [{ path: '/blog/launch', views: 9, shadowedBy: '/blog/**' }]],
    ['/docs/*', 1, 2, [{ path: '/docs/a', views: 2 }]],
  ]);
  expect(untaggedPages(rules, pages).map((p) => p.path)).toEqual(['/docs/a/b', '/about']);
});

describeEachDialect('content page', (getDb) => {
  const app = () => testApp(getDb().db);
  let client: DashboardClient;
  const base = Date.now() - 2 * 60 * MIN;
  const visitors = { a: 'v_a_' + newId(), b: 'v_b_' + newId(), c: 'v_c_' + newId(), d: 'v_d_' + newId() };
  const emails = { a: `ana-${newId()}@fernhill.example`, b: `ben-${newId()}@fernhill.example`, d: `dora-${newId()}@fernhill.example` };
  const at = (minutes: number, visitorId: string, e: Partial<TrackedEvent>) => makeEvent({ visitorId, sessionId: `s_${visitorId}`, ts: base + minutes * MIN, ...e });

  beforeAll(async () => {
    const post = async (events: TrackedEvent[], sentAt = Date.now(), to = app()) => {
      const res = await postBatch(to, { site: 'scored', sentAt, events });
      const body = await res.json();
      expect(body, JSON.stringify(body)).toMatchObject({ accepted: events.length });
    };
    // A: reads a blog post (tagged by its markup) and the pricing page (tagged by the site's rule), signs up (a lead),
    // downloads (an MQL), then reads a page after qualifying, which preceded nothing. Sent as they happen: an MQL
    // is dated no earlier than leadbeam received what made it, so a page in the same late beacon would precede it.
    const onTime = (minutes: number) => testApp(getDb().db, () => base + minutes * MIN + 1000);
    await post(
      [
        at(0, visitors.a, { path: '/blog/a', stage: 'top', category: 'blog' }),
        at(1, visitors.a, { path: '/pricing' }),
        at(2, visitors.a, { type: 'form', name: 'newsletter', path: '/pricing', traits: { email: emails.a, jobTitle: 'CFO' } }),
        at(3, visitors.a, { type: 'download', name: 'guide.pdf', path: '/pricing' }),
      ],
      base + 3 * MIN + 1000,
      onTime(3),
    );
    await post([at(4, visitors.a, { path: '/after-mql' })], base + 4 * MIN + 1000, onTime(4));
    // B: the blog post, signs up, and only then the pricing page (which did not precede B's conversion).
    await post([
      at(10, visitors.b, { path: '/blog/a', stage: 'top', category: 'blog' }),
      at(11, visitors.b, { type: 'form', name: 'newsletter', path: '/blog/a', traits: { email: emails.b, jobTitle: 'CFO' } }),
      at(12, visitors.b, { path: '/pricing' }),
    ]);
    // C: anonymous; the blog post twice and an untagged page.
    await post([
      at(20, visitors.c, { path: '/blog/a', stage: 'top', category: 'blog' }),
      at(21, visitors.c, { path: '/blog/a', stage: 'top', category: 'blog' }),
      at(22, visitors.c, { path: '/untagged-page' }),
    ]);
    // D: became a lead 40 days ago: outside the default period, inside 90 days.
    const then = Date.now() - 40 * DAY;
    const old = testApp(getDb().db, () => then);
    await post(
      [
        makeEvent({ visitorId: visitors.d, sessionId: 's_' + visitors.d, ts: then - 2 * MIN, path: '/old-page' }),
        makeEvent({ visitorId: visitors.d, sessionId: 's_' + visitors.d, ts: then - MIN, type: 'form', name: 'newsletter', path: '/old-page', traits: { email: emails.d } }),
      ],
      then,
      old,
    );
    client = await signIn(app());
  });

  it('counts views and distinct visitors by page and by funnel stage and category, within the period', async () => {
    const { db } = getDb();
    const traffic = await pageTraffic(db, { site: 'scored', from: Date.now() - 30 * DAY, to: Date.now() });
    expect(traffic.pages).toEqual([
      { path: '/blog/a', stage: 'top', category: 'blog', views: 4, visitors: 3 },
      { path: '/pricing', stage: 'bottom', category: 'pricing', views: 2, visitors: 2 },
      { path: '/after-mql', stage: null, category: null, views: 1, visitors: 1 },
      { path: '/untagged-page', stage: null, category: null, views: 1, visitors: 1 },
    ]);
    expect(traffic.groups).toEqual([
      { stage: 'top', category: 'blog', pages: 1, views: 4, visitors: 3 },
      { stage: 'bottom', category: 'pricing', pages: 1, views: 2, visitors: 2 },
      { stage: null, category: null, pages: 2, views: 2, visitors: 2 },
    ]);
    const older = await pageTraffic(db, { site: 'scored', from: Date.now() - 90 * DAY, to: Date.now(), limit: 2 });
    expect(older.pages.map((p) => p.path)).toEqual(['/blog/a', '/pricing']);
    expect(older.more).toBe(true);
    expect((await pageTraffic(db, { site: 'scored', from: Date.now() - 90 * DAY, to: Date.now() })).pages.map((p) => p.path)).toContain('/old-page');
  });

  it('attributes to each page and funnel stage the leads and MQLs that had viewed it before converting, not after', async () => {
    const { db } = getDb();
    const result = await contentBeforeConversion(db, { site: 'scored', from: Date.now() - 30 * DAY, to: Date.now() });
    expect(result.leads).toBe(2);
    expect(result.mqls).toBe(1);
    expect(result.pages).toEqual([
      { path: '/blog/a', leads: 2, mqls: 1 },
      { path: '/pricing', leads: 1, mqls: 1 },
    ]);
    expect(Object.fromEntries(result.stages.map((s) => [s.stage ?? 'untagged', [s.leads, s.mqls]]))).toEqual({ top: [2, 1], bottom: [1, 1] });
    expect(result.sampled).toEqual({ leads: 2, mqls: 1 });
    // Bounded: pages and stages over the latest conversion of each kind only (B became a lead after A); totals stay exact.
    const latest = await contentBeforeConversion(db, { site: 'scored', from: Date.now() - 30 * DAY, to: Date.now(), sample: 1 });
    expect(latest).toMatchObject({ leads: 2, mqls: 1, sampled: { leads: 1, mqls: 1 } });
    expect(latest.pages).toEqual([
      { path: '/blog/a', leads: 1, mqls: 1 },
      { path: '/pricing', leads: 0, mqls: 1 },
    ]);
    const ninety = await contentBeforeConversion(db, { site: 'scored', from: Date.now() - 90 * DAY, to: Date.now() });
    expect(ninety.leads).toBe(3);
    expect(ninety.pages).toContainEqual({ path: '/old-page', leads: 1, mqls: 0 });
    expect((await contentBeforeConversion(db, { site: 'demo', from: Date.now() - 90 * DAY, to: Date.now() })).leads).toBe(0);
  });

  it('shows it all on the page: stage totals, pages with the leads and MQLs they preceded, untagged pages, rule previews', async () => {
    const res = await client.get('/app/content?site=scored');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Content</h1>');
    expect(rowCells(html, 'stage', 'top')).toEqual(['Top', '2', '100 %', '1', '100 %']);
    expect(rowCells(html, 'stage', 'bottom')).toEqual(['Bottom', '1', '50 %', '1', '100 %']);
    expect(rowCells(html, 'path', '/blog/a')).toEqual(['/blog/a', 'Top', 'blog', '4', '3', '2', '1']);
    expect(rowCells(html, 'path', '/pricing')).toEqual(['/pricing', 'Bottom', 'pricing', '2', '2', '1', '1']);
    expect(rowCells(html, 'path', '/after-mql')).toEqual(['/after-mql', 'no stage', '–', '1', '1', '0', '0']);
    const untagged = /<table id="untagged-pages">([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect([...untagged.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1])).toEqual(['/after-mql', '/untagged-page']);
    const rule = rowCells(html, 'rule', '/pricing');
    expect(rule.slice(0, 5)).toEqual(['/pricing', 'Bottom', 'pricing', '1', '2']);
    expect(rule[5]).toContain('/pricing (2)');
    expect(html).not.toContain('/old-page');
  });

  it('takes the period from the page, and refuses one it does not offer, naming the field', async () => {
    const html = await (await client.get('/app/content?site=scored&days=90')).text();
    expect(rowCells(html, 'path', '/old-page')).toEqual(['/old-page', 'no stage', '–', '1', '1', '1', '0']);
    expect(html).toContain('<option value="90" selected="">');
    const bad = await client.get('/app/content?site=scored&days=5');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('days:');
  });

  it('says when its figures are older than a minute and newer ones are being computed, with a link to reload', async () => {
    let clock = Date.now();
    const clocked = testApp(getDb().db, () => clock);
    const viewer = await signIn(clocked);
    const ageOf = async () => /<span class="figures-age"( data-stale="")?>([\s\S]*?)<\/span>/.exec(await (await viewer.get('/app/content?site=scored&days=7')).text())!;
    const fresh = await ageOf();
    expect(fresh[1]).toBeUndefined();
    expect(fresh[2]).toMatch(/^as of \d{4}-\d\d-\d\d \d\d:\d\d UTC, under a minute old \(older ones are recomputed when a page asks\)$/);
    clock += 61_000;
    const stale = await ageOf();
    expect(stale[1]).toBe(' data-stale=""');
    expect(stale[2]).toContain('newer figures are being computed: <a href="">reload</a> in a moment');
  });
});
