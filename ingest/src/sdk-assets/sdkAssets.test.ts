import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleError, handleNotFound } from '../http/apiError.js';
import { etagMatches } from './etagMatches.js';
import { DEFAULT_SDK_DIR, createSdkAssetsRoute } from './sdkAssetsRoute.js';

const appFor = (dir: string) => new Hono().onError(handleError).notFound(handleNotFound).route('/', createSdkAssetsRoute({ dir }));

describe('serving the script and its chunks', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lb-sdk-'));
    writeFileSync(join(dir, 'leadbeam.js'), 'import("sdk/0123abcd.js")');
    writeFileSync(join(dir, '0123abcd.js'), 'export const v = 1;');
    // Left by an old build: must not be served under its fixed name.
    writeFileSync(join(dir, 'vitals.js'), 'export const v = 0;');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /sdk.js for an hour, then revalidated by its ETag: 304 without a body', async () => {
    const app = appFor(dir);
    const first = await app.request('/sdk.js');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
    expect(first.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await app.request('/sdk.js', { headers: { 'If-None-Match': ifNoneMatch } });
      expect(again.status, ifNoneMatch).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('cache-control')).toContain('max-age=3600');
    }
    expect((await app.request('/sdk.js', { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);
  });

  it('serves a rebuilt script without a restart, under a new ETag', async () => {
    const app = appFor(dir);
    const before = (await app.request('/sdk.js')).headers.get('etag');
    writeFileSync(join(dir, 'leadbeam.js'), 'import("sdk/4567cdef.js")');
    utimesSync(join(dir, 'leadbeam.js'), new Date(), new Date(Date.now() + 5000));
    const after = await app.request('/sdk.js', { headers: { 'If-None-Match': before! } });
    expect(after.status).toBe(200);
    expect(await after.text()).toBe('import("sdk/4567cdef.js")');
  });

  it('serves content-named chunks as immutable for a year', async () => {
    const res = await appFor(dir).request('/sdk/0123abcd.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('export const v = 1;');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 404, not to be cached, for an old chunk name, a fixed name or the script under /sdk/', async () => {
    const app = appFor(dir);
    for (const path of ['/sdk/89abcdef.js', '/sdk/vitals.js', '/sdk/leadbeam.js', '/sdk/..%2Fleadbeam.js']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      if (path !== '/sdk/..%2Fleadbeam.js') expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

describe('etagMatches', () => {
  it('compares weakly, in lists and with *', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b" , "a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
  });
});

describe('the real build', () => {
  const chunks = () => readdirSync(DEFAULT_SDK_DIR).filter((f) => /^(vitals.*|[0-9a-f]{8})\.js$/.test(f));
  beforeAll(() => {
    // `npm test` builds first; build here only when run alone on a fresh checkout.
    if (!existsSync(join(DEFAULT_SDK_DIR, 'leadbeam.js')) || !chunks().some((f) => /^[0-9a-f]{8}\.js$/.test(f))) execFileSync('npm', ['run', 'build:sdk'], { stdio: 'ignore' });
  }, 120_000);

  it('has one content-named vitals chunk, the one the script loads (no fixed name left), and serves it', async () => {
    const [chunk, ...others] = chunks();
    expect(others).toEqual([]);
    expect(chunk).toMatch(/^[0-9a-f]{8}\.js$/);
    const script = readFileSync(join(DEFAULT_SDK_DIR, 'leadbeam.js'), 'utf8');
    expect(script.match(/sdk\/[\w.-]+\.js/g)).toEqual([`sdk/${chunk}`]);
    const res = await appFor(DEFAULT_SDK_DIR).request(`/sdk/${chunk}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });
});
