import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { eventually } from '../support/stack.js';

/**
 * The script's promises hold from the moment its tag has run, not only once it has started
 * (at the browser's first idle period): calls made then are kept, and so is what the visitor
 * does before it.
 */
describeInBrowser('the script before it has started', () => {
  const e2e = useStackAndBrowser();

  const eventsOf = async (visitorId: string) => {
    const { body } = await e2e.stack.api(`/v1/visitors/${visitorId}/events?limit=500`);
    return (body.events ?? []) as any[];
  };
  // The visitor id the script keeps in localStorage, once it has started.
  const storedVisitor = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('lb') || '{}').v as string | undefined);

  it('accepts track and ready from the page’s own DOMContentLoaded handler', async () => {
    const context = await newVisitorContext(e2e.browser);
    // The page's own code, run when the document is parsed: the deferred tag has run by then,
    // the idle start has not.
    await context.addInitScript(() => {
      const w = window as any;
      w.seen = { errors: [] as string[] };
      addEventListener('error', (e) => w.seen.errors.push(e.message));
      document.addEventListener('DOMContentLoaded', () => {
        w.seen.startedAtDomReady = !!localStorage.getItem('lb');
        w.leadbeam.track('x', { from: 'DOMContentLoaded' });
        w.leadbeam('track', 'y');
        w.leadbeam.ready((api: any) => (w.seen.readyVisitor = api.visitorId()));
      });
    });
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/guides/month-end-close-checklist`);
    const readyVisitor = await page.waitForFunction(() => (window as any).seen.readyVisitor).then((h) => h.jsonValue() as Promise<string>);
    const seen = await page.evaluate(() => (window as any).seen);
    expect(seen.startedAtDomReady).toBe(false);
    expect(seen.errors).toEqual([]);
    expect(readyVisitor).toMatch(/^\w{8,}$/);
    expect(await storedVisitor(page)).toBe(readyVisitor);

    const events = await eventually(async () => {
      const all = await eventsOf(readyVisitor);
      return all.some((e) => e.name === 'x') && all.some((e) => e.name === 'y') ? all : undefined;
    });
    expect(events.filter((e) => e.name === 'x')).toMatchObject([{ type: 'track', props: { from: 'DOMContentLoaded' }, path: '/guides/month-end-close-checklist' }]);
    expect(events.filter((e) => e.name === 'y')).toMatchObject([{ type: 'track' }]);
    await context.close();
  });

  it('records a download click and a form submission made before the idle start', async () => {
    const context = await newVisitorContext(e2e.browser);
    // The browser is never idle on these pages: only the visitor starts the script.
    await context.addInitScript(() => {
      (window as any).requestIdleCallback = () => 0;
    });
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/resources/`);
    await page.waitForFunction(() => (window as any).leadbeam);
    await page.waitForTimeout(2500);
    expect(await storedVisitor(page)).toBeUndefined(); // not started, long past the 2 s idle timeout
    await page.click('#whitepaper-download');
    await page.waitForTimeout(300);
    const visitorId = (await storedVisitor(page))!;
    expect(visitorId).toBeTruthy();

    await page.goto(`${e2e.stack.demoUrl}/newsletter`);
    await page.waitForFunction(() => (window as any).leadbeam);
    await page.fill('input[name=email]', 'ana.kovac@fernhill.example');
    await Promise.all([page.waitForURL('**/thanks?form=newsletter'), page.click('button[type=submit]')]);

    const events = await eventually(async () => {
      const all = await eventsOf(visitorId);
      return all.some((e) => e.type === 'download') && all.some((e) => e.type === 'form') ? all : undefined;
    });
    expect(events.filter((e) => e.type === 'download')).toMatchObject([{ name: 'close-benchmark-2026.pdf', path: '/resources/' }]);
    expect(events.filter((e) => e.type === 'form')).toMatchObject([{ name: 'newsletter-signup', path: '/newsletter', traits: { email: 'ana.kovac@fernhill.example' } }]);
    await context.close();
  });
});
