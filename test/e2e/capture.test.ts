import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { describeInBrowser, newVisitorContext } from '../support/browser.js';
import { useStackAndBrowser } from '../support/e2e.js';
import { eventually } from '../support/stack.js';

describeInBrowser('what the script captures on the demo site', () => {
  const e2e = useStackAndBrowser();

  const eventsOf = async (visitorId: string) => {
    const { body } = await e2e.stack.api(`/v1/visitors/${visitorId}/events?limit=500`);
    return (body.events ?? []) as any[];
  };
  // The script starts when the page is first idle; wait for it, then ask.
  const visitorOf = async (page: Page): Promise<string> => {
    await page.waitForFunction(() => (window as any).leadbeam?.ready);
    return page.evaluate(() => new Promise<string>((resolve) => (window as any).leadbeam.ready((api: any) => resolve(api.visitorId()))));
  };

  it('records a whitepaper download and two real form submissions once each, with stages and without sensitive values', async () => {
    const context: BrowserContext = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/resources/`);
    const visitorId = await visitorOf(page);

    // The whitepaper link: Chromium opens or downloads the PDF, whichever it does headless.
    await page.click('#whitepaper-download');
    await page.waitForTimeout(300);

    await page.goto(`${e2e.stack.demoUrl}/newsletter`);
    await page.fill('input[name=email]', 'ana.kovac@fernhill.example');
    await Promise.all([page.waitForURL('**/thanks?form=newsletter'), page.click('button[type=submit]')]);

    await page.goto(`${e2e.stack.demoUrl}/demo`);
    await page.fill('input[name=email]', 'Ana.Kovac@Fernhill.example');
    await page.fill('input[name=name]', 'Ana Kovač');
    await page.fill('input[name=company]', 'Fernhill Foods');
    await page.fill('input[name=job_title]', 'Financial Controller');
    await page.selectOption('select[name=company_size]', '201-1000');
    await page.fill('textarea[name=message]', 'my card is 4111 1111 1111 1111');
    await Promise.all([page.waitForURL('**/thanks?form=demo'), page.click('button[type=submit]')]);

    const events = await eventually(async () => {
      const all = await eventsOf(visitorId);
      return all.filter((e) => e.type === 'form').length === 2 && all.some((e) => e.type === 'download') ? all : undefined;
    });
    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType('download')).toHaveLength(1);
    expect(byType('download')[0]).toMatchObject({ name: 'close-benchmark-2026.pdf', stage: 'middle', category: 'whitepaper', path: '/resources/' });
    const forms = byType('form').reverse();
    expect(forms).toHaveLength(2);
    expect(forms[0]).toMatchObject({ name: 'newsletter-signup', stage: 'top', traits: { email: 'ana.kovac@fernhill.example' } });
    expect(forms[1]).toMatchObject({
      name: 'demo-request',
      stage: 'bottom',
      traits: { email: 'Ana.Kovac@Fernhill.example', name: 'Ana Kovač', company: 'Fernhill Foods', jobTitle: 'Financial Controller', companySize: '201-1000' },
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // Nothing the site did not allow reached storage: not the message, not the hidden field.
    const everything = JSON.stringify(await e2e.stack.test.db.selectFrom('events').selectAll().execute());
    expect(everything).not.toContain('my card is');
    expect(everything).not.toContain('4111 1111');
    expect(everything).not.toContain('internal-7f3a9c');
    await context.close();
  });

  it('keeps what happens offline and delivers it once, after coming back online and reloading', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/guides/month-end-close-checklist`);
    const visitorId = await visitorOf(page);
    await eventually(async () => ((await eventsOf(visitorId)).length === 1 ? true : undefined));

    await context.setOffline(true);
    await page.click('#webinar-signup');
    await page.evaluate(() => (window as any).leadbeam.track('offline_check', { n: 1 }));
    // Let the script try (and fail) to send while offline.
    await page.waitForTimeout(1500);
    await context.setOffline(false);
    await page.reload();

    const events = await eventually(async () => {
      const all = await eventsOf(visitorId);
      return all.some((e) => e.name === 'offline_check') && all.some((e) => e.name === 'webinar_signup') ? all : undefined;
    });
    expect(events.filter((e) => e.name === 'webinar_signup')).toMatchObject([{ type: 'click', props: { webinar: 'two-day-close' }, stage: 'middle' }]);
    expect(events.filter((e) => e.name === 'offline_check')).toHaveLength(1);
    // Give any resend a moment, then check nothing arrived twice.
    await page.waitForTimeout(1500);
    const again = await eventsOf(visitorId);
    expect(new Set(again.map((e) => e.id)).size).toBe(again.length);
    expect(again.filter((e) => e.name === 'webinar_signup')).toHaveLength(1);
    await context.close();
  });

  it('loads web vitals as a separate chunk once the page has settled, and reports them', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    // The chunk is named by its content hash, so an upgrade never serves old code under its name.
    const chunk = page.waitForRequest((r) => /\/sdk\/[0-9a-f]{8}\.js$/.test(r.url()), { timeout: 15_000 });
    await page.goto(`${e2e.stack.demoUrl}/pricing`);
    const visitorId = await visitorOf(page);
    await chunk;
    await page.waitForTimeout(300);
    await page.click('h1');
    await page.goto(`${e2e.stack.demoUrl}/`);
    const vitals = await eventually(async () => {
      const all = (await eventsOf(visitorId)).filter((e) => e.type === 'vitals');
      return all.length ? all : undefined;
    }, 15_000);
    expect(vitals[0]).toMatchObject({ path: '/pricing', props: { value: expect.any(Number), rating: expect.any(String) } });
    expect(['LCP', 'CLS', 'INP']).toContain(vitals[0].name);
    await context.close();
  });

  it('sends page views of a single-page app, and custom events from the page’s own code', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    await page.goto(`${e2e.stack.demoUrl}/pricing`);
    const visitorId = await visitorOf(page);
    await page.fill('#seats', '12');
    await page.dispatchEvent('#seats', 'change');
    await page.evaluate(() => history.pushState({}, '', '/blog/five-signs-your-close-is-too-slow'));
    const events = await eventually(async () => {
      const all = await eventsOf(visitorId);
      return all.some((e) => e.type === 'pageview' && e.path.startsWith('/blog/')) && all.some((e) => e.type === 'track') ? all : undefined;
    });
    expect(events.find((e) => e.type === 'track')).toMatchObject({ name: 'pricing_calculator_used', props: { seats: 12, plan: 'growth' }, stage: 'bottom' });
    expect(events.find((e) => e.path.startsWith('/blog/'))).toMatchObject({ type: 'pageview', stage: 'top', referrer: `${e2e.stack.demoUrl}/pricing` });
    await context.close();
  });
  it('records a form whose hidden fields are named "action" and "id" (as WordPress’s are), without an error in the page', async () => {
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${e2e.stack.demoUrl}/blog/`);
    const visitorId = await visitorOf(page);
    // The browser lets such fields stand in for form.action and form.id.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        `<form action="/wp-admin/admin-ajax.php" method="post"><input type="hidden" name="action" value="subscribe"><input type="hidden" name="id" value="42"><input name="email" value="wp.reader@fernhill.example"><button>Subscribe</button></form>`,
      );
      const form = document.querySelector('form[action$="admin-ajax.php"]') as HTMLFormElement;
      form.addEventListener('submit', (e) => e.preventDefault()); // sent by fetch, as such forms are
      form.requestSubmit();
    });
    const form = await eventually(async () => (await eventsOf(visitorId)).find((e) => e.type === 'form'));
    expect(form).toMatchObject({ name: '/wp-admin/admin-ajax.php', traits: { email: 'wp.reader@fernhill.example' } });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('finds its own tag when another vendor’s tag on the page also has data-site, and sends nothing to that vendor', async () => {
    // Another site whose page carries a second analytics vendor's tag (Fathom's, say) first.
    const vendorHits: string[] = [];
    const site = createServer((req, res) => {
      if (req.url !== '/') return vendorHits.push(req.url!), res.writeHead(200, { 'Content-Type': 'text/javascript' }).end('window.vendorLoaded = 1');
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><title>Two tags</title>
<script defer src="/vendor/script.js" data-site="VENDORKEY"></script>
<script defer src="${e2e.stack.ingestUrl}/sdk.js" data-site="demo" data-track-automation="true"></script>
<h1>Two tags</h1>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const context = await newVisitorContext(e2e.browser);
    const page = await context.newPage();
    // This origin is not one of the demo site's allowed origins, so the ingest refuses the
    // events: what matters here is where the script sends them, and with which key.
    const sent: Array<{ url: string; site: string; type: string }> = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/collect')) sent.push({ url: r.url(), site: JSON.parse(r.postData()!).site, type: JSON.parse(r.postData()!).events[0].type });
    });
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await eventually(async () => (sent.length ? true : undefined));
    expect(sent[0]).toEqual({ url: `${e2e.stack.ingestUrl}/v1/collect`, site: 'demo', type: 'pageview' });
    expect(vendorHits.filter((path) => path.startsWith('/v1/'))).toEqual([]);
    await context.close();
    site.close();
  });
});
