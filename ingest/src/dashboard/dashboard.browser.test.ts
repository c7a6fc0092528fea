import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium } from '../../../test/support/browser.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { dashboardApp } from '../../../test/support/dashboardData.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';

const DAY = 86_400_000;
const MIN = 60_000;
const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What uPlot draws on a canvas: text with where and how, and the rectangles each fill painted. */
interface Drawn {
  texts: Array<{ text: string; x: number; y: number; align: string; baseline: string; font: string }>;
  fills: Array<{ style: string; rects: number[][] }>;
}

/**
 * Keeps, on each canvas, the text and filled rectangles drawn on it: uPlot draws axes, bars and
 * markers on canvases, so this is what a person sees of a chart.
 */
function recordCanvas() {
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  type Canvas = HTMLCanvasElement & { __drawn?: Drawn };
  const drawnOn = (ctx: CanvasRenderingContext2D) => ((ctx.canvas as Canvas).__drawn ??= { texts: [], fills: [] });
  CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, maxWidth?: number) {
    drawnOn(this).texts.push({ text: String(text), x, y, align: this.textAlign, baseline: this.textBaseline, font: this.font });
    return maxWidth === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, maxWidth);
  };
  type Path = Path2D & { __rects?: number[][] };
  const rect = Path2D.prototype.rect;
  Path2D.prototype.rect = function (this: Path, x: number, y: number, w: number, h: number) {
    (this.__rects ??= []).push([x, y, w, h]);
    return rect.call(this, x, y, w, h);
  };
  const fill = CanvasRenderingContext2D.prototype.fill as (...args: unknown[]) => void;
  CanvasRenderingContext2D.prototype.fill = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
    const path = args[0] as Path | undefined;
    if (path instanceof Path2D && path.__rects) drawnOn(this).fills.push({ style: String(this.fillStyle), rects: path.__rects.slice() });
    return fill.apply(this, args);
  } as typeof CanvasRenderingContext2D.prototype.fill;
}

/** What was drawn on each chart of the page, with its plot area in canvas pixels. */
async function chartsOf(page: Page) {
  await page.locator('.chart-canvas canvas').first().waitFor();
  // Let uPlot finish its first draw.
  await page.waitForTimeout(200);
  return page.$$eval('figure.chart', (figures) =>
    figures.map((figure) => {
      const canvas = figure.querySelector('.chart-canvas canvas') as (HTMLCanvasElement & { __drawn?: Drawn }) | null;
      const over = figure.querySelector('.u-over') as HTMLElement | null;
      const ratio = window.devicePixelRatio;
      const plot = over ? { left: over.offsetLeft * ratio, top: over.offsetTop * ratio, width: over.offsetWidth * ratio, height: over.offsetHeight * ratio } : null;
      return { caption: figure.querySelector('figcaption')?.textContent ?? '', drawn: canvas?.__drawn ?? { texts: [], fills: [] }, plot };
    }),
  );
}

/** The values uPlot wrote under the x axis (centred, hanging from the axis; not the axis title, which is bold). */
const xAxisValues = (drawn: Drawn) => [...new Set(drawn.texts.filter((t) => t.align === 'center' && t.baseline === 'top' && !/bold/.test(t.font)).map((t) => t.text))];

describeInBrowser('the dashboard in a browser', () => {
  let test: TestDatabase;
  let server: ServerType;
  let browser: Browser;
  let base: string;
  let app: ReturnType<typeof dashboardApp>;
  const now = Date.now();

  /** A person on the demo site: a newsletter form as a CFO (fit), then the given steps a minute apart. */
  async function person(email: string, steps: Array<Partial<TrackedEvent>>, at = now - 30 * MIN) {
    const visitorId = 'v_' + newId();
    const sessionId = 's_' + newId();
    const events = [
      makeEvent({ visitorId, sessionId, ts: at, type: 'form', name: 'newsletter', path: '/newsletter', url: `${DEMO_ORIGIN}/newsletter`, traits: { email, company: 'Fernhill Foods', jobTitle: 'CFO' } }),
      ...steps.map((s, i) => makeEvent({ visitorId, sessionId, ts: at + (i + 1) * MIN, ...s, url: `${DEMO_ORIGIN}${s.path ?? '/'}` })),
    ];
    const res = await postBatch(app, { site: 'demo', sentAt: at + 10 * MIN, events });
    expect((await res.json()).accepted).toBe(events.length);
    return (await test.db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
  }
  async function feedback(id: string, body: object) {
    const res = await app.request(`/v1/leads/${id}/feedback`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
  /** Pricing and a download: the test rules' MQL for a CFO. */
  const qualifying: Array<Partial<TrackedEvent>> = [{ path: '/pricing' }, { type: 'download', name: 'guide.pdf', path: '/pricing' }];

  let mqlLead: string;
  let sqlLead: string;

  beforeAll(async () => {
    test = await createTestDatabase('sqlite');
    app = dashboardApp(test.db);
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await launchChromium();
    // Sales outcomes for the threshold calibration: a won lead that qualified, a lost one that did not.
    const won = await person('won@fernhill.example', qualifying, now - 3 * DAY);
    await feedback(won, { type: 'accepted' });
    await feedback(won, { type: 'won' });
    const lost = await person('lost@fernhill.example', [{ path: '/blog/a' }], now - 2 * DAY);
    await feedback(lost, { type: 'accepted' });
    await feedback(lost, { type: 'lost', reason: 'no budget' });
    // Leads for the feedback forms: one MQL, one accepted by sales (SQL).
    mqlLead = await person('mql@fernhill.example', qualifying);
    sqlLead = await person('sql@fernhill.example', qualifying);
    await feedback(sqlLead, { type: 'accepted' });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await test?.close();
  });

  /** A signed-in browser (the secret key: every scope) that records what charts draw. */
  async function signedIn(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC', ...options });
    await context.addInitScript(recordCanvas);
    const res = await context.request.post(`${base}/app/sign-in`, { form: { key: TEST_SECRET_KEY, next: '/app' }, headers: { Origin: base }, maxRedirects: 0 });
    expect(res.status()).toBe(303);
    return context;
  }

  it('labels the x axis of the overview’s daily trend with dates', async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${base}/app?site=demo&period=7`);
    const [trend] = await chartsOf(page);
    expect(trend!.caption).toMatch(/a day/);
    const labels = xAxisValues(trend!.drawn);
    // uPlot writes days as month/day; at least a few of the seven days are labelled, each within the period.
    const days = labels.filter((l) => /^\d{1,2}\/\d{1,2}$/.test(l));
    expect(days.length, `x axis labels: ${JSON.stringify(labels)}`).toBeGreaterThanOrEqual(3);
    const inPeriod = Array.from({ length: 7 }, (_, i) => {
      const d = new Date(now - i * DAY);
      return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
    });
    for (const day of days) expect(inPeriod).toContain(day);
    await context.close();
  });

  it('labels the threshold calibration’s engagement bins, keeps every bar inside the plot, and marks the draft’s and the suggested threshold', async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${base}/app/scoring?site=demo`);
    // A threshold so low that the lost lead qualifies too: calibration then suggests a better one.
    await page.fill('#q-mql-engagement', '0.5');
    await Promise.all([page.waitForURL('**/app/scoring/backtest**'), page.getByRole('button', { name: 'Backtest these changes' }).click()]);
    const best = (await page.locator('#best-threshold').textContent())!;
    const draft = String(JSON.parse(await page.inputValue('#rules')).thresholds.mql.engagement);
    expect(best).not.toBe(draft);
    const chart = (await chartsOf(page)).find((c) => /Peak engagement/.test(c.caption))!;
    expect(chart).toBeDefined();
    // Engagement bins on the x axis: numbers.
    const labels = xAxisValues(chart.drawn);
    expect(labels.filter((l) => /^-?\d+(\.\d+)?$/.test(l)).length, `x axis labels: ${JSON.stringify(labels)}`).toBeGreaterThanOrEqual(3);
    // Every bar (the series' translucent fills) lies within the plot area, the last one included.
    const plot = chart.plot!;
    const bars = chart.drawn.fills.flatMap((f) => f.rects);
    expect(bars.length).toBeGreaterThan(0);
    for (const [x, , w] of bars) {
      expect(x!).toBeGreaterThanOrEqual(plot.left - 1);
      expect(x! + w!).toBeLessThanOrEqual(plot.left + plot.width + 1);
    }
    // Both thresholds are marked, named with their value, inside the plot.
    const texts = chart.drawn.texts;
    const draftMark = texts.find((t) => t.text === `Draft ${draft}`);
    const bestMark = texts.find((t) => t.text === `Suggested ${best}`);
    expect(draftMark, JSON.stringify(texts.map((t) => t.text))).toBeDefined();
    expect(bestMark).toBeDefined();
    for (const mark of [draftMark!, bestMark!]) {
      expect(mark.x).toBeGreaterThanOrEqual(plot.left);
      expect(mark.x).toBeLessThanOrEqual(plot.left + plot.width);
    }
    // The suggestion is the higher of the two here: its mark is to the right of the draft's.
    expect(Number(best) > Number(draft) ? bestMark!.x > draftMark!.x : bestMark!.x < draftMark!.x).toBe(true);
    // People who do not see the canvas read the same marks in words.
    const key = await page.locator('figure.chart', { hasText: 'Peak engagement' }).innerText();
    expect(key).toContain(`draft’s threshold: ${draft}`);
    expect(key).toContain(`suggested threshold: ${best}`);
    await context.close();
  });

  it('sends the note with a rejection and with a lost deal, and shows it on the timeline', async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${base}/app/leads/${mqlLead}?site=demo`);
    await page.getByLabel('Note for the record (optional)').fill('Spoke to her: a ten-person firm, too small');
    await page.getByLabel('Reject because').selectOption({ label: 'Bad fit' });
    await Promise.all([page.waitForURL('**done=feedback**'), page.getByRole('button', { name: 'Reject' }).click()]);
    await expect(page.getByRole('status').innerText()).resolves.toContain('the lead is now Recycled');
    const rejected = await test.db.selectFrom('feedback').select(['type', 'reason', 'note']).where('lead_id', '=', mqlLead).execute();
    expect(rejected).toEqual([{ type: 'rejected', reason: 'bad_fit', note: 'Spoke to her: a ten-person firm, too small' }]);
    expect(await page.locator('ol.timeline li.tl-feedback').first().innerText()).toContain('Spoke to her: a ten-person firm, too small');

    // Without scripts, Enter in the reason for a lost deal gives no answer (the form's first button would accept).
    const plain = await signedIn({ javaScriptEnabled: false });
    const still = await plain.newPage();
    await still.goto(`${base}/app/leads/${sqlLead}?site=demo`);
    await still.getByLabel('Lost because').fill('chose a competitor');
    await still.getByLabel('Lost because').press('Enter');
    await still.waitForTimeout(500);
    expect(still.url()).toBe(`${base}/app/leads/${sqlLead}?site=demo`);
    await plain.close();
    expect(await test.db.selectFrom('feedback').select('type').where('lead_id', '=', sqlLead).execute()).toEqual([{ type: 'accepted' }]);

    // With them, Enter there answers Lost, and the note goes with it.
    await page.goto(`${base}/app/leads/${sqlLead}?site=demo`);
    await page.getByLabel('Note for the record (optional)').fill('They renewed with the incumbent');
    await page.getByLabel('Lost because').fill('chose a competitor');
    await Promise.all([page.waitForURL('**done=feedback**'), page.getByLabel('Lost because').press('Enter')]);
    const lost = await test.db.selectFrom('feedback').select(['type', 'reason', 'note']).where('lead_id', '=', sqlLead).where('type', '=', 'lost').execute();
    expect(lost).toEqual([{ type: 'lost', reason: 'chose a competitor', note: 'They renewed with the incumbent' }]);
    expect(await page.locator('ol.timeline li.tl-feedback').first().innerText()).toContain('They renewed with the incumbent');
    await context.close();
  });

  it('a refused merge leaves the person on the lead’s page, with what they typed and why', async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${base}/app/leads/${mqlLead}?site=demo`);
    const field = page.getByLabel('Merge another lead into this one (email or lead id)');
    await field.fill('sql@fernhill.exmple');
    page.once('dialog', (dialog) => void dialog.accept());
    const [answer] = await Promise.all([page.waitForResponse(`${base}/app/leads/${mqlLead}/merge?site=demo`), page.getByRole('button', { name: 'Merge…' }).click()]);
    expect(answer.status()).toBe(404);
    await expect(page.locator('h1').innerText()).resolves.toBe('mql@fernhill.example');
    await expect(field.inputValue()).resolves.toBe('sql@fernhill.exmple');
    const alert = page.getByRole('alert');
    await expect(alert.innerText()).resolves.toMatch(/^No lead of this site has the email or id “sql@fernhill\.exmple”/);
    // The field names the alert as its description, for screen readers on the field.
    await expect(field.getAttribute('aria-describedby')).resolves.toBe(await alert.getAttribute('id'));
    await context.close();
  });

  it('shows the custom dates typed into the overview’s form, with or without scripts', async () => {
    const from = isoDay(now - 3 * DAY);
    const to = isoDay(now - DAY);
    for (const javaScriptEnabled of [true, false]) {
      const context = await signedIn({ javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${base}/app?site=demo`);
      await page.getByLabel('From (custom)').fill(from);
      await page.getByLabel('To (custom, inclusive)').fill(to);
      await Promise.all([page.waitForURL('**/app?**'), page.getByRole('form', { name: 'Period' }).getByRole('button', { name: 'Show' }).click()]);
      await expect(page.getByText(`${from} to ${to}, whole days (UTC)`).isVisible(), `scripts ${javaScriptEnabled ? 'on' : 'off'}`).resolves.toBe(true);
      expect(await page.locator('#o-period').inputValue()).toBe('custom');
      // Back to a preset: the dates shown are not taken for custom ones.
      await page.locator('#o-period').selectOption('7');
      await Promise.all([page.waitForURL('**/app?**'), page.getByRole('form', { name: 'Period' }).getByRole('button', { name: 'Show' }).click()]);
      await expect(page.getByText(`${isoDay(now - 6 * DAY)} to ${isoDay(now)}, whole days (UTC)`).isVisible(), `scripts ${javaScriptEnabled ? 'on' : 'off'}`).resolves.toBe(true);
      // With the script, a preset's address holds no dates: bookmarked, it keeps meaning the last 7 days.
      if (javaScriptEnabled) expect([...new URL(page.url()).searchParams.keys()]).toEqual(['site', 'period']);
      await context.close();
    }
  });

  it('on a phone, wide tables scroll inside their panel, in a labelled region the keyboard can reach and scroll', async () => {
    const context = await signedIn({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${base}/app/leads/${sqlLead}?site=demo`);
    await page.locator('ol.timeline').waitFor();
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    for (const heading of ['Profile', 'Linked browsers']) {
      const section = page.locator('section', { has: page.getByRole('heading', { name: heading, exact: true }) });
      const scroller = section.locator('table').locator('xpath=..');
      const box = await scroller.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).overflowX, tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'), label: el.getAttribute('aria-label') ?? el.getAttribute('aria-labelledby') }));
      // The table is wider than the phone: it scrolls in its own region, not cut off.
      expect(box.scroll, heading).toBeGreaterThan(box.client);
      expect(box.overflow, heading).toMatch(/auto|scroll/);
      expect(box, heading).toMatchObject({ tabindex: '0', role: 'region', label: expect.any(String) });
      await scroller.focus();
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
      await expect.poll(() => scroller.evaluate((el) => el.scrollLeft), { message: heading }).toBeGreaterThan(0);
    }
    // Every page's tables alike: each in a named region, those wider than the phone reachable by keyboard, the page itself never wider.
    for (const path of ['/app', '/app/leads', '/app/content', '/app/scoring', `/app/leads/${mqlLead}`]) {
      await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}site=demo`);
      const tables = await page.$$eval('table:not(.u-legend)', (all) =>
        all.map((t) => {
          const frame = t.parentElement!;
          return { frame: frame.className, role: frame.getAttribute('role'), label: frame.getAttribute('aria-label'), tabindex: frame.getAttribute('tabindex'), overflows: frame.scrollWidth > frame.clientWidth + 1, rendered: frame.clientWidth > 0 };
        }),
      );
      expect(tables.length, path).toBeGreaterThan(0);
      for (const t of tables) {
        expect(t, path).toMatchObject({ frame: 'table-scroll', role: 'region', label: expect.stringMatching(/\w/) });
        if (t.overflows) expect(t.tabindex, `${path}: ${t.label}`).toBe('0');
      }
      const page_ = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(page_.scroll, path).toBeLessThanOrEqual(page_.client);
    }
    // Wide enough for the table, the region leaves the tab order (nothing to scroll), and keeps its name.
    await page.goto(`${base}/app/leads/${sqlLead}?site=demo`);
    await page.setViewportSize({ width: 1366, height: 768 });
    const profile = page.getByRole('region', { name: 'Traits, with the change that set each' });
    await expect.poll(() => profile.getAttribute('tabindex')).toBeNull();
    await context.close();
  });
});
