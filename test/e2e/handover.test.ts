import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { startReceiver } from '../support/receiver.js';
import { eventually } from '../support/stack.js';

describeInBrowser('handover to sales from the demo site', () => {
  const e2e = useStackAndBrowser();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('a demo request reaches sales by webhook within a second, with the lead, its stage, its score and its anonymous history', async () => {
    const hook = await e2e.stack.api('/v1/webhooks', { method: 'POST', body: { url: receiver.url, events: ['lead.mql'], site: 'demo' } });
    expect(hook.status).toBe(201);

    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    // Anonymous browsing: two articles, the whitepaper.
    await page.goto(`${e2e.stack.demoUrl}/blog/`);
    await page.click('a[href="/blog/five-signs-your-close-is-too-slow"]');
    await page.waitForURL('**/five-signs-your-close-is-too-slow');
    await page.waitForLoadState('load');
    await page.goto(`${e2e.stack.demoUrl}/resources/`);
    await page.click('#whitepaper-download');
    await page.waitForTimeout(300);
    await page.goto(`${e2e.stack.demoUrl}/demo`);
    await page.waitForFunction(() => (window as any).leadbeam?.ready);
    const visitorId: string = await page.evaluate(() => new Promise<string>((resolve) => (window as any).leadbeam.ready((api: any) => resolve(api.visitorId()))));
    await page.fill('input[name=email]', 'Priya.Raman@Fernhill.example');
    await page.fill('input[name=name]', 'Priya Raman');
    await page.fill('input[name=company]', 'Fernhill Foods');
    await page.fill('input[name=job_title]', 'Controller');
    const submittedAt = Date.now();
    await Promise.all([page.waitForURL('**/thanks?form=demo'), page.click('button[type=submit]')]);

    const delivery = await eventually(async () => receiver.received.find((r) => r.body.includes('priya.raman@fernhill.example')), 5000);
    expect(delivery.at - submittedAt).toBeLessThan(1000);
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({
      type: 'lead.mql',
      lead: { email: 'priya.raman@fernhill.example', stage: 'mql', traits: { company: 'Fernhill Foods', jobTitle: 'Controller' } },
      change: { from: 'lead', to: 'mql', cause: 'rule:demo-request' },
    });
    expect(payload.lead.score.fit).toBeGreaterThanOrEqual(20);
    expect(payload.lead.score.engagement).toBeGreaterThan(30); // the demo request and the anonymous browsing before it

    const { body: lead } = await e2e.stack.api(`/v1/leads/${payload.lead.id}`);
    expect(lead.visitorIds).toEqual([visitorId]);
    const { body: score } = await e2e.stack.api(`/v1/leads/${payload.lead.id}/score`);
    const rules = score.items.map((i: any) => i.ruleId);
    for (const rule of ['page-view', 'top-content', 'download', 'demo-request']) expect(rules).toContain(rule);
    const { body: history } = await e2e.stack.api(`/v1/visitors/${visitorId}/events?limit=100`);
    expect(history.events.filter((e: any) => e.type === 'pageview').map((e: any) => e.path)).toEqual(expect.arrayContaining(['/blog/', '/blog/five-signs-your-close-is-too-slow', '/resources/']));
    await context.close();
  });
});
