import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { handleError, handleNotFound } from '../http/apiError.js';
import { builtApiReference, copyApiReference, installedApiReference } from './apiReferenceBundle.js';
import { createDocsRoute } from './createDocsRoute.js';
import { renderDocsPage, scalarConfiguration } from './renderDocsPage.js';

/** The route as the app mounts it, with the app's error answers. */
const mounted = (options?: Parameters<typeof createDocsRoute>[0]) => new Hono().onError(handleError).notFound(handleNotFound).route('/', createDocsRoute(options));
const app = mounted();
const page = async () => {
  const res = await app.request('/docs');
  expect(res.status).toBe(200);
  return { res, html: await res.text() };
};
/** The Content-Security-Policy as directive → sources. */
const policyOf = (res: Response) => {
  const header = res.headers.get('content-security-policy');
  expect(header, 'a Content-Security-Policy on /docs').toBeTruthy();
  return new Map(
    header!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
};
const scriptSrcs = (html: string) => [...html.matchAll(/<script\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]!);
/** The configuration the page's inline bootstrap passes to `Scalar.createApiReference('#app', …)`. */
const bootstrapConfiguration = (html: string) => {
  const literal = /Scalar\.createApiReference\('#app', (\{[^]*?\})\)\s*<\/script>/.exec(html)?.[1];
  expect(literal, 'the inline bootstrap').toBeDefined();
  return JSON.parse(literal!) as unknown;
};

describe('the API reference page (/docs)', () => {
  it('loads its script from this server, and nothing from any other origin', async () => {
    const { html } = await page();
    expect(scriptSrcs(html)).toEqual([expect.stringMatching(/^\/docs\/assets\/scalar-api-reference-[\w.-]+\.js$/)]);
    // No script, style, image or font from elsewhere: no absolute or protocol-relative URL in an
    // attribute, no stylesheet link, no CSS import or url() to another origin.
    expect(html).not.toMatch(/\b(src|href|srcset|action)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/jsdelivr|unpkg|cdn\./i);
    // Scalar's own services (fonts, telemetry, AI agent, MCP, toolbar) are turned off.
    expect(html).toMatch(/"withDefaultFonts": false/);
    expect(html).toMatch(/"telemetry": false/);
    expect(html).toContain('"url": "/openapi.json"');
  });

  it("passes Scalar the document's URL and turns off everything that calls Scalar's servers", async () => {
    const { html } = await page();
    // What @scalar/hono-api-reference, which made this page before, passed: nothing more, nothing less.
    expect(bootstrapConfiguration(html)).toEqual({
      _integration: 'hono',
      url: '/openapi.json',
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: 'never',
    });
    expect(html).toContain('<title>leadbeam API reference</title>');
    // Newer bundles (1.71) take the nonce for the styles they add from this meta element.
    expect(html).toMatch(/<meta property="csp-nonce" content="[A-Za-z0-9+/=]{16,}" \/>/);
  });

  it('escapes what it writes into the page', async () => {
    const title = '<script>alert(1)</script> & "co"';
    const html = await (await mounted({ pageTitle: title }).request('/docs')).text();
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;</title>');
    expect(html).not.toContain('<script>alert(1)');

    // A value in the bootstrap cannot end its script element; it still reads back the same.
    const documentUrl = '/openapi.json?</script><script>alert(1)</script><!--';
    const hostile = String(await renderDocsPage({ title: 't', scriptUrl: '/docs/assets/x.js" onload="alert(1)', documentUrl, nonce: 'n" onload="alert(1)' }));
    expect(hostile).not.toContain('</script><script>alert');
    const bootstrap = /nonce="[^"]*">\s*(Scalar\.createApiReference[^]*?)<\/script>/.exec(hostile)?.[1];
    expect(bootstrap, 'no < in the inline script').toMatch(/^[^<]+$/);
    expect(hostile).not.toMatch(/" onload="/);
    expect(bootstrapConfiguration(hostile)).toEqual(scalarConfiguration(documentUrl));
    expect(hostile).toContain(`<a href="/openapi.json?&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--">`);
  });

  it('links to the document where scripts do not run', async () => {
    const { html } = await page();
    expect(html).toMatch(/<noscript>[^]*<a href="\/openapi\.json">[^]*<\/noscript>/);
  });

  it('answers with a Content-Security-Policy that allows scripts only from this server and its own nonce', async () => {
    const { res, html } = await page();
    const policy = policyOf(res);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    const scripts = policy.get('script-src') ?? policy.get('default-src')!;
    const nonce = scripts.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
    expect(nonce).toMatch(/^[A-Za-z0-9+/=]{16,}$/);
    expect(scripts).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(policy.has('script-src-elem'), 'no second list of script sources').toBe(false);
    // Every inline script carries it, and each answer has a new one.
    const inline = [...html.matchAll(/<script\b([^>]*)>\s*\S/g)].map((m) => m[1]!).filter((attrs) => !/\bsrc=/.test(attrs));
    expect(inline.length).toBeGreaterThan(0);
    for (const attrs of inline) expect(attrs).toContain(`nonce="${nonce}"`);
    expect(policyOf((await page()).res).get('script-src')).not.toContain(`'nonce-${nonce}'`);
    // Nothing the page fetches, shows or submits goes to another origin.
    for (const directive of ['connect-src', 'img-src', 'font-src', 'style-src', 'form-action']) {
      for (const source of policy.get(directive) ?? []) expect(source, directive).toMatch(/^('self'|'unsafe-inline'|data:)$/);
    }
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
  });

  it('sets no cookie and is kept by no cache (its nonce is new each time)', async () => {
    const { res } = await page();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('serves the pinned @scalar/api-reference bundle as JavaScript, cached for a year and revalidated by ETag', async () => {
    const { html } = await page();
    const [src] = scriptSrcs(html);
    const require = createRequire(import.meta.url);
    const dir = require.resolve('@scalar/api-reference').replace(/\/dist\/index\.js$/, '');
    const { version } = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version: string };
    expect(src).toBe(`/docs/assets/scalar-api-reference-${version}.js`);
    const file = readFileSync(`${dir}/dist/browser/standalone.js`);

    const res = await app.request(src!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(file)).toBe(true);
    expect(body.toString('utf8')).toContain('createApiReference');

    const gzipped = await app.request(src!, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(Buffer.from(await gzipped.arrayBuffer())).equals(file)).toBe(true);

    const etag = res.headers.get('etag')!;
    const again = await app.request(src!, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves no other file under /docs/assets/', async () => {
    for (const path of ['/docs/assets/scalar-api-reference-0.0.1.js', '/docs/assets/standalone.js', '/docs/assets/..%2Fpackage.json', '/docs/assets/app.js']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
    }
  });
});

describe("the reference page's script in an install without dev dependencies", () => {
  it('is copied by the build, named by its version, and served from that copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadbeam-docs-assets-'));
    try {
      writeFileSync(join(dir, 'scalar-api-reference-0.0.1.js'), 'stale'); // an older build's copy goes
      const copied = copyApiReference(dir);
      const installed = installedApiReference()!;
      expect(builtApiReference(dir)).toEqual(copied);
      expect(copied.path).toBe(join(dir, `scalar-api-reference-${installed.version}.js`));
      expect(readFileSync(copied.path).equals(readFileSync(installed.path))).toBe(true);

      const fromCopy = mounted({ apiReference: builtApiReference(dir)! });
      const html = await (await fromCopy.request('/docs')).text();
      const res = await fromCopy.request(scriptSrcs(html)[0]!);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(installed.path))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without it, /docs says what to do and where the document is', async () => {
    expect(builtApiReference(join(tmpdir(), 'leadbeam-no-such-dir'))).toBeUndefined();
    const res = await mounted({ apiReference: null }).request('/docs');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/npm run build.*\/openapi\.json/);
  });
});
