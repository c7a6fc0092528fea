import { expect, it } from 'vitest';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';

describeInBrowser('the demo site as a newcomer sees it', () => {
  const e2e = useStackAndBrowser();
  const pages = ['/', '/blog/', '/blog/five-signs-your-close-is-too-slow', '/guides/', '/resources/', '/pricing', '/demo', '/newsletter', '/careers/', '/about-you'];

  it.each([
    ['a laptop', { width: 1366, height: 768 }],
    ['a phone', { width: 390, height: 844 }],
  ])('on %s, every page’s content starts clear of the header, and the header does not overlap itself', async (_, viewport) => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    for (const path of pages) {
      await page.goto(`${e2e.stack.demoUrl}${path}`);
      const gap = await page.evaluate(() => {
        const header = document.querySelector('header')!.getBoundingClientRect();
        const first = document.querySelector('main')!.firstElementChild!.getBoundingClientRect();
        return first.top - header.bottom;
      });
      expect(gap, path).toBeGreaterThanOrEqual(16);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }
    await context.close();
  });

  it('shows the favicon, and a newsletter signup and a demo request each end on their own thank-you words', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/newsletter`);
    const icon = await page.getAttribute('link[rel~="icon"]', 'href');
    expect((await page.request.get(new URL(icon!, page.url()).toString())).status()).toBe(200);
    await page.fill('input[name=email]', 'noor@fernhill.example');
    await Promise.all([page.waitForURL('**/thanks?form=newsletter'), page.click('button[type=submit]')]);
    const newsletter = (await page.textContent('main'))!;
    expect(newsletter).toMatch(/newsletter|subscribed|issue/i);
    expect(newsletter).not.toMatch(/\bdemo\b/i);

    await page.goto(`${e2e.stack.demoUrl}/demo`);
    await page.fill('input[name=email]', 'noor@fernhill.example');
    await page.fill('input[name=name]', 'Noor Haddad');
    await page.fill('input[name=company]', 'Fernhill');
    await Promise.all([page.waitForURL('**/thanks?form=demo'), page.click('#demo-request button[type=submit]')]);
    const demo = (await page.textContent('main'))!;
    expect(demo).toMatch(/\bdemo\b.*requested/i);
    expect(demo).not.toMatch(/newsletter|subscribed/i);
    await context.close();
  });
});
