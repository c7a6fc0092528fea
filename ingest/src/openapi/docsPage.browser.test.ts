import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser, launchChromium } from '../../../test/support/browser.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { SESSION_COOKIE } from '../dashboard/sessions/sessionCookie.js';

/** The reference page in Chromium with every address but this machine's unreachable, as offline. */
describeInBrowser('the API reference page (/docs) in a browser, offline', () => {
  let test: TestDatabase;
  let server: ServerType;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await createTestDatabase('sqlite');
    const app = createApp({ db: test.db, config: testConfig, secretKey: TEST_SECRET_KEY });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await test?.close();
  });

  /** A browser context that can reach 127.0.0.1 only; what it tried elsewhere is in `blocked`. */
  async function offlineContext(options: Parameters<Browser['newContext']>[0] = {}) {
    const context = await browser.newContext(options);
    const blocked: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      blocked.push(url.href);
      return route.abort('internetdisconnected');
    });
    return { context, blocked };
  }

  /** Signs the context in to the dashboard as a marketer would, so it holds the session cookie. */
  async function signIn(context: BrowserContext) {
    const res = await context.request.post(`${base}/app/sign-in`, { form: { key: TEST_SECRET_KEY, next: '/app' }, headers: { Origin: base }, maxRedirects: 0 });
    expect(res.status()).toBe(303);
    expect((await context.cookies(`${base}/app`)).map((c) => c.name)).toContain(SESSION_COOKIE);
  }

  it('renders the reference from this server alone, breaks no rule of its policy, and never sees the dashboard session', { timeout: 90_000 }, async () => {
    const { context, blocked } = await offlineContext();
    await signIn(context);
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: Array<{ url: string; cookie: string }> = [];
    page.on('request', (r) => void r.allHeaders().then((h) => requests.push({ url: r.url(), cookie: h.cookie ?? '' })));

    await page.goto(`${base}/docs`);
    // The reference is drawn from the document: its routes and their summaries are on the page.
    await page
      .getByText('/v1/collect')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message}\nblocked: ${blocked.join(', ') || 'none'}\nscript errors: ${errors.join('; ') || 'none'}`);
      });
    await expect(page.getByText('Segment-compatible').first().isVisible()).resolves.toBe(true);
    await page.waitForLoadState('networkidle');

    expect(blocked, 'requests to other origins').toEqual([]);
    expect(errors, 'script errors').toEqual([]);
    // Zod (inside the bundle) probes once whether `eval` is allowed, is refused and does without.
    const violations = (await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).filter((v) => !v.startsWith('script-src eval '));
    expect(violations, 'Content-Security-Policy violations').toEqual([]);
    expect(requests.map((r) => r.url)).toEqual(expect.arrayContaining([`${base}/docs`, expect.stringMatching(/\/docs\/assets\/scalar-api-reference-.+\.js$/), `${base}/openapi.json`]));
    for (const r of requests) {
      expect(new URL(r.url).origin, r.url).toBe(base);
      expect(r.cookie, `${r.url} carries no dashboard session`).not.toContain(SESSION_COOKIE);
    }
    expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);
    await context.close();
  });

  it('links to the OpenAPI document where scripts do not run', { timeout: 60_000 }, async () => {
    const { context, blocked } = await offlineContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/docs`);
    const link = page.getByRole('link', { name: '/openapi.json' });
    await expect(link.isVisible()).resolves.toBe(true);
    const [res] = await Promise.all([page.waitForResponse(`${base}/openapi.json`), link.click()]);
    expect(((await res.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./);
    expect(blocked).toEqual([]);
    await context.close();
  });
});
