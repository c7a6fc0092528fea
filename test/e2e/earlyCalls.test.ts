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

  it('records a download click and a form submission made before the idle start, each the first event the script sees', async () => {
    // A fresh visitor on each page, on which the browser is never idle: only the visitor starts
    // the script. The click and the submission are dispatched alone (element.click(),
    // form.requestSubmit()), as a script, the keyboard or assistive technology does, with no
    // pointerdown or keydown before them: the event that starts the script must itself be
    // handed to the listeners it adds while that event is dispatched.
    const notIdlePage = async (path: string) => {
      const context = await newVisitorContext(e2e.browser);
      await context.addInitScript(() => {
        (window as any).requestIdleCallback = () => 0;
      });
      const page = await context.newPage();
      await page.goto(`${e2e.stack.demoUrl}${path}`);
      await page.waitForFunction(() => (window as any).leadbeam);
      await page.waitForTimeout(2500);
      expect(await storedVisitor(page), path).toBeUndefined(); // not started, long past the 2 s idle timeout
      return { context, page };
    };

    const resources = await notIdlePage('/resources/');
    await resources.page.evaluate(() => document.querySelector<HTMLAnchorElement>('#whitepaper-download')!.click());
    const downloader = await eventually(() => storedVisitor(resources.page));

    const newsletter = await notIdlePage('/newsletter');
    await Promise.all([
      newsletter.page.waitForURL('**/thanks?form=newsletter'),
      newsletter.page.evaluate(() => {
        document.querySelector<HTMLInputElement>('input[name=email]')!.value = 'ana.kovac@fernhill.example';
        document.querySelector<HTMLFormElement>('#newsletter-signup')!.requestSubmit();
      }),
    ]);
    const subscriber = (await storedVisitor(newsletter.page))!;
    expect(subscriber).toBeTruthy();
    expect(subscriber).not.toBe(downloader);

    const downloads = await eventually(async () => {
      const all = (await eventsOf(downloader)).filter((e) => e.type === 'download');
      return all.length ? all : undefined;
    });
    expect(downloads).toMatchObject([{ name: 'close-benchmark-2026.pdf', path: '/resources/' }]);
    const forms = await eventually(async () => {
      const all = (await eventsOf(subscriber)).filter((e) => e.type === 'form');
      return all.length ? all : undefined;
    });
    expect(forms).toMatchObject([{ name: 'newsletter-signup', path: '/newsletter', traits: { email: 'ana.kovac@fernhill.example' } }]);
    await resources.context.close();
    await newsletter.context.close();
  });
});
