import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { BROWSER_UA, TEST_SECRET_KEY, makeEvent, newId } from '../support/ingest.js';
import { startReceiver } from '../support/receiver.js';
import { eventually } from '../support/stack.js';

describeInBrowser('the dashboard: a scoring draft backtested and published, and webhooks', () => {
  const e2e = useStackAndBrowser();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  /** Sends events as the script would from the demo site. */
  const collect = async (events: ReturnType<typeof makeEvent>[]) => {
    const res = await fetch(`${e2e.stack.ingestUrl}/v1/collect`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: e2e.stack.demoUrl, 'User-Agent': BROWSER_UA },
      body: JSON.stringify({ site: 'demo', sentAt: Date.now(), events }),
    });
    expect((await res.json()).accepted).toBe(events.length);
  };
  /** A controller (fit 20) who signed up for the newsletter and read the pricing page and a guide: 27 points, short of the MQL threshold (60). */
  const newLead = async (email: string) => {
    const visitorId = 'v_' + newId();
    const sessionId = 's_' + newId();
    const at = Date.now() - 10 * 60_000;
    await collect([
      makeEvent({ visitorId, sessionId, ts: at, type: 'form', name: 'newsletter-signup', path: '/newsletter', url: `${e2e.stack.demoUrl}/newsletter`, traits: { email, jobTitle: 'Controller' } }),
      makeEvent({ visitorId, sessionId, ts: at + 60_000, path: '/pricing', url: `${e2e.stack.demoUrl}/pricing` }),
      makeEvent({ visitorId, sessionId, ts: at + 120_000, path: '/guides/month-end', url: `${e2e.stack.demoUrl}/guides/month-end` }),
    ]);
    const { body } = await e2e.stack.api(`/v1/leads?email=${encodeURIComponent(email)}`);
    return body.leads[0].id as string;
  };
  const signIn = async (page: Page, path: string) => {
    await page.goto(`${e2e.stack.ingestUrl}${path}`);
    await page.waitForURL('**/app/sign-in?next=*');
    await page.fill('input[type=password][name=key]', TEST_SECRET_KEY);
    await Promise.all([page.waitForURL(`**${path}`), page.click('button[type=submit]')]);
  };

  it('signs in, raises a rule’s points in the draft form, backtests it, publishes it and sees the lead rescored', async () => {
    const email = `erin-${newId()}@fernhill.example`;
    const leadId = await newLead(email);
    expect(leadId).toMatch(/^ld_/);
    const context = await e2e.browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await signIn(page, '/app/scoring');
    await expect(page.locator('h1').textContent()).resolves.toBe('Scoring');

    // The lead's page before: a lead, with its total score.
    const lead = await context.newPage();
    await lead.goto(`${e2e.stack.ingestUrl}/app/leads/${leadId}`);
    const before = Number(await lead.locator('.cards .card .value').first().textContent());
    expect(await lead.locator('.badge').first().textContent()).not.toBe('MQL');

    // The draft, in the form a marketer uses (no JSON): the pricing page worth 45 points instead of 10.
    await page.getByLabel('pricing-page').fill('45');
    await Promise.all([page.waitForURL('**/app/scoring/backtest*'), page.getByRole('button', { name: 'Backtest these changes' }).click()]);
    await expect(page.locator('[role=status].notice').first().textContent()).resolves.toBe('Draft changed (not published): pricing-page points 10 → 45.');
    expect(JSON.parse(await page.inputValue('#rules')).engagement.find((r: { id: string }) => r.id === 'pricing-page').points).toBe(45);
    await expect(page.locator('#backtest-results [role=status]').textContent()).resolves.toMatch(/replayed over the stored history of \d+ leads/);
    const mqls = (await page.locator('#mql-count .value').textContent())!.split('→').map((n) => Number(n.trim()));
    expect(mqls[1]).toBe(mqls[0]! + 1);
    const moved = page.locator(`#moved-leads tr[data-lead="${leadId}"]`);
    await expect(moved.locator('a').textContent()).resolves.toBe(email);
    await expect(moved.locator('a').getAttribute('href')).resolves.toBe(`/app/leads/${leadId}?site=demo`);
    expect(await moved.textContent()).toMatch(/lead → mql/);

    // Publish, confirming the question.
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL('**/app/scoring?site=demo&published=*'), page.click('#publish-form button[type=submit]')]);
    await expect(page.locator('[role=status]').first().textContent()).resolves.toMatch(/is in effect\. Every lead (is being rescored\.|has been rescored: the outcome is below\.)/);
    await eventually(async () => {
      await page.reload();
      return /Rescore done at/.test((await page.locator('#rescore').textContent()) ?? '') ? true : undefined;
    }, 20_000);
    // Once done, the notice no longer says the rescore is running.
    expect(await page.locator('[role=status]').first().textContent()).toMatch(/Every lead has been rescored: the outcome is below\./);
    expect(await page.locator('#version-in-effect').textContent()).toMatch(/published by bootstrap on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(from the dashboard\)/);
    expect(await page.locator('#rules-in-effect tr[data-rule="pricing-page"] td.num').first().textContent()).toBe('45');

    // The rescore shows on the lead's page: 35 more points, and an MQL now.
    await lead.reload();
    const after = Number(await lead.locator('.cards .card .value').first().textContent());
    expect(after - before).toBeCloseTo(35, 0);
    expect(await lead.locator('.badge').first().textContent()).toBe('MQL');
    await context.close();
  });

  it('adds a webhook on the webhooks page, shows its secret once, and shows the delivery it sent', async () => {
    const context = await e2e.browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await signIn(page, '/app/webhooks');
    await page.fill('#url', receiver.url);
    await page.check('input[name=events][value="lead.created"]');
    await Promise.all([page.waitForLoadState('load'), page.click('#add-webhook button[type=submit]')]);
    await expect(page.locator('#created-webhook').getAttribute('role')).resolves.toBe('status');
    const secret = await page.inputValue('#new-secret');
    expect(secret).toMatch(/^whsec_/);

    const email = `fay-${newId()}@fernhill.example`;
    await newLead(email);
    const delivered = await eventually(async () => receiver.received.find((r) => r.body.includes(email)));

    await page.goto(`${e2e.stack.ingestUrl}/app/webhooks`);
    expect(await page.content()).not.toContain(secret);
    await Promise.all([page.waitForURL('**/app/webhooks/wh_*'), page.click(`a[aria-label="Delivery log of ${receiver.url}"]`)]);
    const row = page.locator(`#deliveries tr[data-delivery="${delivered.headers['webhook-id']}"]`);
    await eventually(async () => {
      await page.reload();
      return (await row.count()) && /delivered/.test((await row.textContent()) ?? '') ? true : undefined;
    });
    expect(await row.locator('li[data-attempt="1"]').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d: 200/);
    await context.close();
  });
});
