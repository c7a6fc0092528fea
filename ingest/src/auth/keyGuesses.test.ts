import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp, type AppOptions } from '../app.js';
import { handleError } from '../http/apiError.js';
import { createKeyGuessLimit, FAILED_KEY_WINDOW_MS, MAX_FAILED_KEY_CHECKS } from './keyGuesses.js';
import { createRequireKey } from './requireKey.js';

// Every request goes to a loopback server: other clients are told apart by the X-Forwarded-For
// that a proxy on this host (trusted by default) passes on.

describeEachDialect('guessing secret keys on the API', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  afterEach(() => void vi.unstubAllEnvs());
  const listen = async (limits?: AppOptions['limits']) => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return (path: string, client: string, key?: string) =>
      fetch(base + path, { headers: { 'X-Forwarded-For': client, ...(key && { Authorization: `Bearer ${key}` }) } });
  };
  const wrong = (i: number) => `sk_guess_${String(i).padStart(16, '0')}`;

  it(`answers 429 with Retry-After once one address has sent ${MAX_FAILED_KEY_CHECKS} wrong keys, on any keyed route, and then checks no key from it, not even the right one`, async () => {
    const call = await listen();
    const routes = ['/v1/leads?email=ana@fernhill.example', '/v1/webhooks', '/v1/keys', '/metrics', '/v1/reports/speed-to-lead?site=demo'];
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) statuses.push((await call(routes[i % routes.length]!, '203.0.113.7', wrong(i))).status);
    expect(statuses).toEqual(Array(MAX_FAILED_KEY_CHECKS).fill(401));
    for (const key of [wrong(99), TEST_SECRET_KEY]) {
      const limited = await call('/v1/webhooks', '203.0.113.7', key);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(FAILED_KEY_WINDOW_MS / 1000);
      const body = await limited.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toEqual({
        code: 'rate_limited',
        field: 'authorization',
        message: expect.stringMatching(new RegExp(`^authorization: ${MAX_FAILED_KEY_CHECKS} wrong keys within a minute from this address.*retry in ${retryAfter} s$`)),
      });
    }
    // A request without a key is no guess: it still hears what to send.
    expect((await call('/v1/webhooks', '203.0.113.7')).status).toBe(401);
  });

  it("never blocks another address's right key, nor counts its wrong ones with the guesser's", async () => {
    const call = await listen();
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) await call('/v1/webhooks', '198.51.100.20', wrong(i));
    expect((await call('/v1/webhooks', '198.51.100.20', TEST_SECRET_KEY)).status).toBe(429);
    expect((await call('/v1/webhooks', '198.51.100.21', TEST_SECRET_KEY)).status).toBe(200);
    expect((await call('/v1/webhooks', '2001:db8:9:9::1', wrong(1))).status).toBe(401);
    expect((await call('/v1/webhooks', '2001:db8:9:9::1', TEST_SECRET_KEY)).status).toBe(200);
    // Right keys and keys lacking a scope are no guesses: a busy client is never limited for them.
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS * 2; i++) expect((await call('/v1/webhooks', '198.51.100.22', TEST_SECRET_KEY)).status).toBe(200);
  });

  it("believes X-Forwarded-For only from the proxies the app's own limits name, never from the environment", async () => {
    // The environment trusts a proxy on this host, the app's settings trust none: every forwarded
    // address is this one loopback client, spoofed or not.
    vi.stubEnv('LEADBEAM_TRUSTED_PROXIES', 'loopback');
    const trustingNone = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: [] });
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await trustingNone('/v1/webhooks', `192.0.2.${i}`, wrong(i))).status).toBe(401);
    expect((await trustingNone('/v1/webhooks', '192.0.2.200', TEST_SECRET_KEY)).status).toBe(429);
    // The other way round: the app trusts the proxy on this host, the environment trusts none.
    vi.stubEnv('LEADBEAM_TRUSTED_PROXIES', '');
    const trustingLoopback = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'] });
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await trustingLoopback('/v1/webhooks', `192.0.2.${i}`, wrong(i))).status).toBe(401);
    expect((await trustingLoopback('/v1/webhooks', '192.0.2.200', TEST_SECRET_KEY)).status).toBe(200);
  });

  it('counts the wrong keys of one address together on the keyed API, the sign-in form and the Segment-compatible routes', async () => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = '203.0.113.90';
    const api = (key: string) => fetch(`${origin}/v1/leads?email=ana@fernhill.example`, { headers: { 'X-Forwarded-For': client, Authorization: `Bearer ${key}` } });
    const signIn = (key: string) =>
      fetch(`${origin}/app/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': client },
        body: new URLSearchParams({ key, next: '/app/leads' }).toString(),
      });
    const segment = (key: string) =>
      fetch(`${origin}/v1/track`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client, Authorization: `Bearer ${key}` },
        body: JSON.stringify({ anonymousId: 'a-1', event: 'Trial Started', context: { site: 'scored' } }),
      });
    const doors = [api, signIn, segment];
    // A third of the limit at each door: none of them alone has seen too many.
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await doors[i % doors.length]!(wrong(i))).status).toBe(401);
    for (const door of doors) expect((await door(TEST_SECRET_KEY)).status).toBe(429);
  });

  it('checks keys from an address again once its window has passed', async () => {
    let now = Date.UTC(2026, 0, 5, 9);
    const keyGuesses = createKeyGuessLimit({ clock: () => now });
    const requireKey = createRequireKey({ db: getDb().db, secretKey: TEST_SECRET_KEY, keyGuesses });
    const app = new Hono();
    app.onError(handleError);
    app.get('/x', requireKey('read'), (c) => c.text('ok'));
    const call = (key: string) => app.request('/x', { headers: { Authorization: `Bearer ${key}` } });
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await call(wrong(i))).status).toBe(401);
    now += 15_000;
    const limited = await call(TEST_SECRET_KEY);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(String((FAILED_KEY_WINDOW_MS - 15_000) / 1000));
    now += FAILED_KEY_WINDOW_MS - 15_000;
    expect((await call(TEST_SECRET_KEY)).status).toBe(200);
    // A new window: the count starts again.
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await call(wrong(i))).status).toBe(401);
    expect((await call(wrong(0))).status).toBe(429);
  });
});
