import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { ApiError } from '../http/apiError.js';
import { packageRoot } from '../packageRoot.js';
import { etagMatches } from './etagMatches.js';

/** Where `npm run build:sdk` writes the browser script and its lazy chunks. */
export const DEFAULT_SDK_DIR = join(packageRoot(), 'sdk/dist/');

/**
 * A chunk named by its content hash (`3bb918ef.js`, see `sdk/rollup.config.js`; a future chunk
 * may put a name before it). Only these are served under `/sdk/`: anything else there
 * (`leadbeam.js`, a `vitals.js` left by an old build) would be new code under a name browsers
 * keep for a year.
 */
const CONTENT_NAMED = /^([a-z]+-)?[0-9a-f]{8}\.js$/;

/** Script bodies are JavaScript: no sniffing, and any site may load them. */
const BASE_HEADERS = {
  'Content-Type': 'application/javascript; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * Serves the built tracking script at `/sdk.js` and its lazily loaded chunks under `/sdk/`.
 * The script's URL never changes, so browsers keep it an hour and then revalidate it by ETag
 * (a 304 costs no body); chunks are named by their content, so they are `immutable` for a
 * year, and an upgrade gives them new names (the old ones answer 404). Files are read once
 * and read again when they change on disk, so a rebuild is served without a restart.
 *
 * @example
 * app.route('/', createSdkAssetsRoute({ dir: DEFAULT_SDK_DIR }));
 */
export function createSdkAssetsRoute({ dir = DEFAULT_SDK_DIR }: { dir?: string } = {}) {
  const app = new Hono();
  const cache = new Map<string, { body: string; etag: string; version: string }>();

  async function load(file: string) {
    const path = join(dir, file);
    const { mtimeMs, size } = await stat(path);
    const version = `${mtimeMs}:${size}`;
    let hit = cache.get(file);
    if (hit?.version !== version) {
      const body = await readFile(path, 'utf8');
      hit = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"`, version };
      cache.set(file, hit);
    }
    return hit;
  }

  async function serve(c: Context, file: string, cacheControl: string) {
    let asset;
    try {
      asset = await load(file);
    } catch {
      cache.delete(file);
      // no-store: a CDN must not keep a 404 met during a deploy, before the file is there.
      throw new ApiError(404, 'not_found', `${file} is not built: run "npm run build:sdk"`, { headers: { 'Cache-Control': 'no-store' } });
    }
    const headers = { ...BASE_HEADERS, 'Cache-Control': cacheControl, ETag: asset.etag };
    if (etagMatches(c.req.header('if-none-match'), asset.etag)) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  }

  app.get('/sdk.js', (c) => serve(c, 'leadbeam.js', 'public, max-age=3600, stale-while-revalidate=86400'));
  app.get('/sdk/:file{[\\w.-]+\\.js}', (c) => {
    const file = c.req.param('file');
    if (!CONTENT_NAMED.test(file)) {
      throw new ApiError(404, 'not_found', `/sdk/${file} is not a chunk of this build`, { headers: { 'Cache-Control': 'no-store' } });
    }
    return serve(c, file, 'public, max-age=31536000, immutable');
  });
  return app;
}
