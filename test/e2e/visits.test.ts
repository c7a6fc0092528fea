import { expect, it } from 'vitest';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { eventually } from '../support/stack.js';

describeInBrowser('a visitor browsing the demo site', () => {
  const e2e = useStackAndBrowser();

  it('is recorded with page views per funnel stage, then counted as returning after the session expires', async () => {
    const context = await newVisitorContext(e2e.browser);
    await context.clock.install({ time: new Date() });
    const page = await context.newPage();

    // First visit: a blog article (top), a guide (middle), pricing (bottom), clicking through.
    await page.goto(`${e2e.stack.demoUrl}/blog/`);
    await page.click('a[href="/blog/five-signs-your-close-is-too-slow"]');
    await page.click('a[href="/guides/month-end-close-checklist"]');
    await page.click('nav a[href="/pricing"]');
    await page.waitForURL('**/pricing');
    await page.waitForFunction(() => (window as any).leadbeam?.ready);
    const visitorId: string = await page.evaluate(() => new Promise<string>((resolve) => (window as any).leadbeam.ready((api: any) => resolve(api.visitorId()))));

    const first = await eventually(async () => {
      const { status, body } = await e2e.stack.api(`/v1/visitors/${visitorId}`);
      return status === 200 && body.pageviews === 4 ? body : undefined;
    });
    // The blog index and the article are both top of the funnel (URL rule "/blog/**").
    expect(first).toMatchObject({ visitorId, visits: 1, returning: false, pageviewsByStage: { top: 2, middle: 1, bottom: 1 } });

    // 31 minutes later the same browser comes back: a second visit.
    await context.clock.fastForward('31:00');
    await page.goto(`${e2e.stack.demoUrl}/`);
    const second = await eventually(async () => {
      const { body } = await e2e.stack.api(`/v1/visitors/${visitorId}`);
      return body.pageviews === 5 ? body : undefined;
    });
    expect(second).toMatchObject({ visits: 2, returning: true });

    const { body: history } = await e2e.stack.api(`/v1/visitors/${visitorId}/events`);
    const views = history.events.filter((e: any) => e.type === 'pageview');
    expect(views.map((e: any) => [e.path, e.visit, e.stage])).toEqual([
      ['/', 2, null],
      ['/pricing', 1, 'bottom'],
      ['/guides/month-end-close-checklist', 1, 'middle'],
      ['/blog/five-signs-your-close-is-too-slow', 1, 'top'],
      ['/blog/', 1, 'top'],
    ]);
    await context.close();
  });
});
