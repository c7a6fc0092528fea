import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono, type Context } from 'hono';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp, type AppOptions } from '../app.js';
import { handleError } from '../http/apiError.js';
import { createKeyStore } from '../keys/keyStore.js';
import { createKeyGuessLimit, FAILED_KEY_WINDOW_MS, MAX_FAILED_KEY_CHECKS, tooManyKeyGuesses } from './keyGuesses.js';
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

  it(`checks at most ${MAX_FAILED_KEY_CHECKS} of 300 wrong keys sent at once from one address and refuses the rest with 429, unchecked`, async () => {
    // In process, so all 300 are in flight before the first check is over (each waits on the
    // database): a limit that counted a wrong key only once its check was over let all through.
    // In-process requests have no socket: they are all one client.
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const call = async (key: string) => app.request('/v1/leads?email=ana@fernhill.example', { headers: { Authorization: `Bearer ${key}` } });
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => call(wrong(i)).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILED_KEY_CHECKS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - MAX_FAILED_KEY_CHECKS);
    expect((await call(TEST_SECRET_KEY)).status).toBe(429);
  });

  it('never refuses a right named key for being sent many times at once, even from an address one wrong key short of the limit', async () => {
    // In process, so all are in flight together, each waiting on the database; one client.
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const call = async (key: string) => app.request('/v1/webhooks', { headers: { Authorization: `Bearer ${key}` } });
    const { key } = await createKeyStore({ db: getDb().db }).create({ name: `many-at-once-${Date.now()}`, scopes: ['admin'] });
    const atOnce = () => Promise.all(Array.from({ length: MAX_FAILED_KEY_CHECKS * 3 }, () => call(key).then((r) => r.status)));
    expect(await atOnce()).toEqual(Array(MAX_FAILED_KEY_CHECKS * 3).fill(200));
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS - 1; i++) expect((await call(wrong(i))).status).toBe(401);
    expect(await atOnce()).toEqual(Array(MAX_FAILED_KEY_CHECKS * 3).fill(200));
    expect((await call(wrong(99))).status).toBe(401);
    expect((await call(key)).status).toBe(429);
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

describe('the count of wrong keys, with checks still in flight', () => {
  /** A check the test ends by hand: `settle(holder)` (undefined: a wrong key) or `fail(err)`. */
  const pendingCheck = () => {
    let settle!: (holder: string | undefined) => void;
    let fail!: (err: Error) => void;
    const promise = new Promise<string | undefined>((resolve, reject) => ((settle = resolve), (fail = reject)));
    return { verify: () => promise, settle, fail };
  };
  /** A request a proxy on this host forwarded from `client`: what the limit reads of it. */
  const context = (client: string) => ({ env: { incoming: { headers: { 'x-forwarded-for': client }, socket: { remoteAddress: '127.0.0.1' } } } }) as unknown as Context;
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('holds a check back while the checks in flight could use up what is left of the limit, then refuses it once they turn out wrong', async () => {
    const guesses = createKeyGuessLimit({ maxFailures: 3 });
    const c = context('192.0.2.10');
    const inFlight = [pendingCheck(), pendingCheck(), pendingCheck()];
    const answers = inFlight.map((p) => guesses.check(c, p.verify));
    let fourthAnswered = false;
    const fourth = guesses.check(c, () => 'never checked').finally(() => (fourthAnswered = true));
    await tick();
    expect(fourthAnswered).toBe(false);
    // Another address is not held back.
    expect(await guesses.check(context('192.0.2.11'), () => 'right')).toEqual({ refused: false, found: 'right' });
    for (const p of inFlight) p.settle(undefined);
    expect(await Promise.all(answers)).toEqual(Array(3).fill({ refused: false, found: undefined }));
    expect(await fourth).toEqual({ refused: true, wait: FAILED_KEY_WINDOW_MS / 1000 });
  });

  it('lets a held-back check through once a check in flight turns out right, and counts neither', async () => {
    const guesses = createKeyGuessLimit({ maxFailures: 2 });
    const c = context('192.0.2.20');
    const [right, wrong] = [pendingCheck(), pendingCheck()];
    const answers = [guesses.check(c, right.verify), guesses.check(c, wrong.verify)];
    const third = guesses.check(c, () => undefined);
    right.settle('holder');
    expect(await answers[0]).toEqual({ refused: false, found: 'holder' });
    // One slot free: the third is checked (and is wrong); the one in flight still holds the other.
    expect(await third).toEqual({ refused: false, found: undefined });
    wrong.settle(undefined);
    expect(await answers[1]).toEqual({ refused: false, found: undefined });
    expect((await guesses.check(c, () => 'right')).refused).toBe(true);
  });

  it('refuses at once, as busy and for a second, a check beyond the ones an address may have waiting, and lets the waiting ones go on', async () => {
    const guesses = createKeyGuessLimit({ maxFailures: 1, maxWaiting: 2 });
    const c = context('192.0.2.40');
    const first = pendingCheck();
    const answer = guesses.check(c, first.verify);
    const waiting = [guesses.check(c, () => 'holder'), guesses.check(c, () => 'holder')];
    const beyond = await guesses.check(c, () => 'never checked');
    expect(beyond).toEqual({ refused: true, wait: 1, busy: true });
    const refusal = tooManyKeyGuesses(guesses, beyond as { wait: number; busy: true });
    expect(refusal.status).toBe(429);
    expect(refusal.message).toMatch(/more than 2 key checks at once from this address; retry in 1 s/);
    // Another address is not refused for it.
    expect(await guesses.check(context('192.0.2.41'), () => 'right')).toEqual({ refused: false, found: 'right' });
    first.settle('holder');
    expect(await answer).toEqual({ refused: false, found: 'holder' });
    expect(await Promise.all(waiting)).toEqual(Array(2).fill({ refused: false, found: 'holder' }));
  });

  it('counts neither a check that throws (a database error is no wrong key) nor a wrong key it is told not to count', async () => {
    const guesses = createKeyGuessLimit({ maxFailures: 1 });
    const c = context('192.0.2.30');
    const broken = pendingCheck();
    const answer = guesses.check(c, broken.verify);
    broken.fail(new Error('database is busy'));
    await expect(answer).rejects.toThrow('database is busy');
    expect(await guesses.check(c, () => undefined, { countWrong: false })).toEqual({ refused: false, found: undefined });
    expect(await guesses.check(c, () => 'right')).toEqual({ refused: false, found: 'right' });
    expect(await guesses.check(c, () => undefined)).toEqual({ refused: false, found: undefined });
    expect((await guesses.check(c, () => 'right')).refused).toBe(true);
  });
});
