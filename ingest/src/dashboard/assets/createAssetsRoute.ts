import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Hono } from 'hono';
import { ApiError } from '../../http/apiError.js';
import { packageRoot } from '../../packageRoot.js';

const require = createRequire(import.meta.url);
/** Where the dashboard's own assets are read from at run time (the image copies this folder). */
export const DASHBOARD_ASSETS_DIR = join(packageRoot(), 'ingest/src/dashboard/assets');
const OWN = DASHBOARD_ASSETS_DIR;

/** The files the pages load, by the name they use. uPlot comes from its package, unchanged. */
const FILES: Record<string, { path: () => string; type: string }> = {
  'app.css': { path: () => join(OWN, 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { path: () => join(OWN, 'app.js'), type: 'application/javascript; charset=utf-8' },
  'uplot.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'application/javascript; charset=utf-8' },
  'uplot.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'favicon.svg': { path: () => join(OWN, 'favicon.svg'), type: 'image/svg+xml' },
};

/**
 * Serves the dashboard's stylesheet, its script and uPlot under `/app/assets/`: public (the
 * sign-in page needs them), kept an hour and revalidated by ETag.
 *
 * @example
 * dashboard.route('/assets', createAssetsRoute());
 */
export function createAssetsRoute() {
  const app = new Hono();
  const loaded = new Map<string, Promise<{ body: string; etag: string }>>();
  const load = (name: string, path: string) => {
    let file = loaded.get(name);
    if (!file) {
      file = readFile(path, 'utf8').then((body) => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"` }));
      loaded.set(name, file);
    }
    return file;
  };
  app.get('/:name', async (c) => {
    const name = c.req.param('name');
    const spec = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!spec) throw new ApiError(404, 'not_found', `no dashboard asset "${name}"`);
    const { body, etag } = await load(name, spec.path());
    const headers = { 'Content-Type': spec.type, 'Cache-Control': 'public, max-age=3600', ETag: etag, 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(body, 200, headers);
  });
  return app;
}
