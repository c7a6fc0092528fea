import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { TEST_SECRET_KEY } from '../support/ingest.js';
import { eventually } from '../support/stack.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../ingest/src/config/loadConfig.js';

const EMAIL = 'noor.haddad@fernhill.example';

describeInBrowser('the marketer’s dashboard in a browser', () => {
  const e2e = useStackAndBrowser();
  const rules = loadConfig(DEFAULT_CONFIG_PATH, { DEMO_PORT: '3000' }).sites.find((s) => s.key === 'demo')!.scoring.engagement;
  const rule = (id: string) => rules.find((r) => r.id === id)!;

  /** A visitor reads the pricing page and requests a demo on the demo site: a lead that qualifies at once. */
  async function makeLead() {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/pricing`);
    await page.waitForFunction(() => (window as any).leadbeam?.ready);
    await page.goto(`${e2e.stack.demoUrl}/demo`);
    await page.waitForFunction(() => (window as any).leadbeam?.ready);
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=name]', 'Noor Haddad');
    await page.fill('input[name=company]', 'Fernhill Foods');
    await page.fill('input[name=job_title]', 'Controller');
    await Promise.all([page.waitForURL('**/thanks?form=demo'), page.click('button[type=submit]')]);
    await context.close();
    return eventually(async () => (await e2e.stack.api(`/v1/leads?email=${EMAIL}`)).body.leads[0] as { id: string; stage: string } | undefined);
  }

  async function signIn(page: Page) {
    await page.goto(`${e2e.stack.ingestUrl}/app/leads`);
    await page.waitForURL('**/app/sign-in**');
    await page.getByLabel('Secret key').fill(TEST_SECRET_KEY);
    await Promise.all([page.waitForURL('**/app/leads'), page.getByRole('button', { name: 'Sign in' }).click()]);
  }

  it('signs in, finds a lead by search, reads why it scored, gives feedback and sees the stage change; the lead page fits a phone', async () => {
    const lead = await makeLead();
    expect(lead.stage).toBe('mql');
    const context = await e2e.browser.newContext({ viewport: { width: 1366, height: 768 } });
    // uPlot draws its axes on a canvas: keep the text it draws, to read the axis labels.
    await context.addInitScript(() => {
      const drawn: string[] = ((window as any).__drawnText = []);
      const fillText = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, maxWidth?: number) {
        drawn.push(String(text));
        return maxWidth === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, maxWidth);
      };
    });
    const page = await context.newPage();
    await signIn(page);

    await page.getByLabel('Email or company').fill('fernhill foods');
    await Promise.all([page.waitForURL('**q=fernhill+foods**'), page.getByRole('button', { name: 'Show' }).click()]);
    const row = page.getByRole('row', { name: new RegExp(EMAIL) });
    expect(await row.innerText()).toMatch(/MQL/);
    await Promise.all([page.waitForURL(`**/app/leads/${lead.id}**`), row.getByRole('link', { name: EMAIL }).click()]);

    // The timeline explains each point: the rule, its points and its description.
    const timeline = page.locator('ol.timeline');
    const demo = rule('demo-request');
    await expect(timeline.getByText(`+${demo.points}`, { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(timeline.getByText(demo.description!, { exact: false }).first().isVisible()).resolves.toBe(true);
    await expect(timeline.getByText(rule('pricing-page').description!, { exact: false }).first().isVisible()).resolves.toBe(true);
    expect(await timeline.innerText()).toContain(`Hand-raiser rule demo-request: ${demo.description}`);
    // The chart is drawn by uPlot in the browser.
    await page.locator('.chart-canvas canvas').first().waitFor();
    // A new lead's score (one point, today) is drawn on a week around today: the x axis is
    // labelled with today's date and year, not with the years uPlot gives a lone point.
    const today = await page.evaluate(() => {
      const d = new Date();
      return { year: d.getFullYear(), day: `${d.getMonth() + 1}/${d.getDate()}` };
    });
    const labels = await eventually(async () => {
      const drawn = await page.evaluate(() => (window as any).__drawnText as string[]);
      return drawn.length ? drawn : undefined;
    });
    expect(labels).toContain(today.day);
    expect(labels).toContain(String(today.year));
    const years = labels.filter((l) => /^\d{4}$/.test(l)).map(Number);
    expect(years.every((y) => y === today.year || y === today.year + 1)).toBe(true);

    // Sales accepts: the page says so and the lead is SQL.
    await page.getByLabel('Note for the record (optional)').fill('Booked a call');
    await Promise.all([page.waitForURL('**done=feedback**'), page.getByRole('button', { name: 'Accept' }).click()]);
    await expect(page.getByRole('status').innerText()).resolves.toContain('the lead is now SQL');
    expect(await page.locator('.lead-email .badge').innerText()).toBe('SQL');
    expect(await timeline.innerText()).toMatch(/MQL →\s+SQL\s+Sales feedback: accepted/);
    expect((await e2e.stack.api(`/v1/leads/${lead.id}`)).body.stage).toBe('sql');

    // On a phone the page body never scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('ol.timeline').waitFor();
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(widths.body).toBeLessThanOrEqual(widths.client);
    await expect(page.getByRole('button', { name: 'Contacted' }).isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('a browser without a session sees no lead data: it is sent to sign in', async () => {
    const lead = await eventually(async () => (await e2e.stack.api(`/v1/leads?email=${EMAIL}`)).body.leads[0] as { id: string } | undefined);
    const context = await e2e.browser.newContext();
    const page = await context.newPage();
    for (const path of ['/app', '/app/leads?q=fernhill', `/app/leads/${lead.id}`]) {
      await page.goto(`${e2e.stack.ingestUrl}${path}`);
      expect(new URL(page.url()).pathname).toBe('/app/sign-in');
      const text = await page.locator('body').innerText();
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain('Fernhill');
      await expect(page.getByLabel('Secret key').isVisible()).resolves.toBe(true);
    }
    await context.close();
  });
});
