import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { createAboutYouRoute } from './aboutYou/aboutYouRoute.js';
import { parsePage, renderPage, type ScriptTag } from './renderPage.js';

/** The script tag every page carries, and what the site's own server needs. */
export interface DemoSiteOptions extends ScriptTag {
  /**
   * The ingest's secret key, for the about-you page's lookups (`/api/about-you`). Used by this
   * server only: it is never put in a page or a response. Without it that page says so.
   */
  secretKey?: string;
}

const ROOT = new URL('.', import.meta.url).pathname;
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.pdf': 'application/pdf', '.svg': 'image/svg+xml', '.js': 'application/javascript' };

/** Maps a URL path to its page file: `/` → index.html, `/blog/` → blog/index.html, `/pricing` → pricing.html. */
function pageFile(path: string): string | undefined {
  if (path.includes('..')) return undefined;
  if (path.endsWith('/')) return join(ROOT, 'pages', path, 'index.html');
  return join(ROOT, 'pages', `${path}.html`);
}

/**
 * The demo company's website: pages from `pages/` in one layout with the script tag, static
 * files from `public/`, thank-you pages, one per form, that ordinary HTML forms post to, and
 * the about-you page's lookup of what the ingest knows about the browser.
 *
 * @example
 * const site = createDemoSite({ ingestUrl: 'http://localhost:8787', siteKey: 'demo', secretKey });
 */
export function createDemoSite({ secretKey, ...tag }: DemoSiteOptions) {
  const app = new Hono();
  app.route('/api/about-you', createAboutYouRoute({ ingestUrl: tag.ingestUrl, siteKey: tag.siteKey, secretKey }));

  const sendPage = async (c: import('hono').Context, path: string, status: 200 | 404 = 200) => {
    const file = pageFile(path);
    if (!file) return undefined;
    try {
      const page = parsePage(await readFile(file, 'utf8'));
      return c.html(renderPage(page, path, tag), status);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };

  // Forms are ordinary HTML forms: they post here and the browser navigates. The demo keeps
  // nothing: capturing the submission is the tracking script's job, before the page leaves.
  app.post('/thanks', async (c) => {
    const form = c.req.query('form') ?? 'form';
    return c.redirect(`/thanks?form=${encodeURIComponent(form)}`, 303);
  });
  // Each form has its own thank-you page (`pages/thanks/<form>.html`), the generic one otherwise.
  app.get('/thanks', async (c) => {
    const form = c.req.query('form') ?? '';
    return (/^[a-z0-9-]+$/.test(form) ? await sendPage(c, `/thanks/${form}`) : undefined) ?? (await sendPage(c, '/thanks'))!;
  });

  app.get('*', async (c) => {
    const path = c.req.path;
    const ext = /\.[a-z0-9]+$/i.exec(path)?.[0];
    if (ext) {
      if (!TYPES[ext] || path.includes('..')) return c.notFound();
      try {
        const body = await readFile(join(ROOT, 'public', path));
        return c.body(body, 200, { 'Content-Type': TYPES[ext]!, 'Cache-Control': 'no-cache' });
      } catch {
        return c.notFound();
      }
    }
    return (await sendPage(c, path)) ?? (await sendPage(c, '/404', 404)) ?? c.notFound();
  });
  return app;
}

/** Every page path of the demo site, for tests and the README. */
export async function listDemoPages(): Promise<string[]> {
  const entries = await readdir(join(ROOT, 'pages'), { recursive: true });
  return entries
    .filter((f) => f.endsWith('.html') && f !== '404.html')
    .map((f) => '/' + f.replace(/index\.html$/, '').replace(/\.html$/, ''))
    .sort();
}
