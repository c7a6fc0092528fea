import { expect, it } from 'vitest';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { eventually } from '../support/stack.js';
import { TEST_SECRET_KEY } from '../support/ingest.js';

describeInBrowser('the demo site’s “what leadbeam knows about you” page', () => {
  const e2e = useStackAndBrowser();

  it('shows a visitor its id, its page views by stage and, after the newsletter form, its lead’s stage and explained score, without the secret key ever reaching the browser', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    const bodies: string[] = [];
    page.on('response', async (res) => {
      if (res.url().startsWith(e2e.stack.demoUrl)) bodies.push(await res.text().catch(() => ''));
    });

    // Before anything is stored: the page says so.
    await page.goto(`${e2e.stack.demoUrl}/about-you`);
    await page.waitForSelector('#visitor-id');
    const visitorId: string = await page.evaluate(() => (window as any).leadbeam.visitorId());
    expect(await page.textContent('#visitor-id')).toBe(visitorId);

    await page.goto(`${e2e.stack.demoUrl}/blog/`);
    await page.click('a[href="/blog/five-signs-your-close-is-too-slow"]');
    await page.waitForURL('**/five-signs-your-close-is-too-slow');
    await page.goto(`${e2e.stack.demoUrl}/newsletter`);
    await page.fill('input[name=email]', 'Noor.Haddad@Fernhill.example');
    await Promise.all([page.waitForURL('**/thanks?form=newsletter'), page.click('button[type=submit]')]);

    // The form's event is committed within moments; the page shows what is stored when it loads.
    await eventually(async () => {
      await page.goto(`${e2e.stack.demoUrl}/about-you`);
      return (await page.waitForSelector('#lead-stage', { timeout: 3000 }).catch(() => null)) ?? undefined;
    }, 20_000);
    expect(await page.textContent('#visitor-id')).toBe(visitorId);
    expect(await page.textContent('#lead-stage')).toBe('lead');
    const text = (await page.textContent('#about-you'))!;
    expect(text).toContain('Page views by funnel stage');
    const { body: visitor } = await e2e.stack.api(`/v1/visitors/${visitorId}`);
    const stages = await page.$$eval('section:has(> h2:text("Page views by funnel stage")) tbody td', (cells) => cells.map((c) => Number(c.textContent)));
    expect(stages.slice(0, 3)).toEqual([visitor.pageviewsByStage.top, visitor.pageviewsByStage.middle, visitor.pageviewsByStage.bottom]);
    // The page looks itself up as its own page view is being sent: that one may not be in it yet.
    expect(visitor.pageviews - stages[4]!).toBeGreaterThanOrEqual(0);
    expect(visitor.pageviews - stages[4]!).toBeLessThanOrEqual(1);
    expect(visitor.pageviewsByStage.top).toBeGreaterThanOrEqual(2); // the blog index and the article

    const { body: score } = await e2e.stack.api(`/v1/leads/${visitor.leadId}/score`);
    // Its own page view (+1) may be scored only after the page looked itself up.
    const shown = /^([\d.]+) = fit (-?[\d.]+) \+ engagement ([\d.]+)$/.exec((await page.textContent('#lead-score'))!.trim());
    expect(shown, 'the score line').not.toBeNull();
    expect(Number(shown![2])).toBe(score.fit);
    expect(score.total - Number(shown![1])).toBeGreaterThanOrEqual(0);
    expect(score.total - Number(shown![1])).toBeLessThanOrEqual(1);
    for (const rule of ['page-view', 'newsletter']) expect(text).toContain(rule);
    expect(text).toContain('form:newsletter-signup');

    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) expect(body).not.toContain(TEST_SECRET_KEY);
    await context.close();
  });
});
