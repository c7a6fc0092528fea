import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Hono } from 'hono';
import { ApiError } from '../http/apiError.js';
import { packageRoot } from '../packageRoot.js';

/** Where `npm run build:sdk` writes the browser script and its lazy chunks. */
export const DEFAULT_SDK_DIR = join(packageRoot(), 'sdk/dist/');

/**
 * Serves the built tracking script at `/sdk.js` and its lazily loaded chunks under
 * `/sdk/`. The script's URL never changes, so browsers revalidate it hourly (ETag) rather
 * than keep a stale copy for days; chunks are content-named and cached for a year.
 *
 * @example
 * app.route('/', createSdkAssetsRoute({ dir: DEFAULT_SDK_DIR }));
 */
export function createSdkAssetsRoute({ dir = DEFAULT_SDK_DIR }: { dir?: string } = {}) {
  const app = new Hono();
  const cache = new Map<string, { body: string; etag: string }>();

  async function load(file: string) {
    let hit = cache.get(file);
    if (!hit) {
      const body = await readFile(join(dir, file), 'utf8');
      hit = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"` };
      cache.set(file, hit);
    }
    return hit;
  }

  const serve = (file: string, cacheControl: string) => async (c: import('hono').Context) => {
    let asset;
    try {
      asset = await load(file);
    } catch {
      throw new ApiError(404, 'not_found', `${file} is not built: run "npm run build:sdk"`);
    }
    const headers = {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': cacheControl,
      ETag: asset.etag,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  };

  app.get('/sdk.js', serve('leadbeam.js', 'public, max-age=3600, stale-while-revalidate=86400'));
  app.get('/sdk/:file{[\\w.-]+\\.js}', (c) => serve(basename(c.req.param('file')), 'public, max-age=31536000, immutable')(c));
  return app;
}
