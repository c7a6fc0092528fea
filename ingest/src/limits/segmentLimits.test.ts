import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, testConfig } from '../../../test/support/ingest.js';
import { createApp, type AppOptions } from '../app.js';
import { createKeyStore } from '../keys/keyStore.js';
import { readLimits } from './readLimits.js';

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

describe('readLimits for the Segment-compatible routes', () => {
  it('defaults to budgets for backends, far above a browser address, and reads both variables', () => {
    const defaults = readLimits({});
    expect(defaults.segmentPerAddressPerMinute).toBeGreaterThan(defaults.perAddressPerMinute);
    expect(defaults.segmentPerKeyPerMinute).toBeGreaterThanOrEqual(defaults.segmentPerAddressPerMinute);
    expect(readLimits({ LEADBEAM_SEGMENT_RATE_LIMIT: '0', LEADBEAM_SEGMENT_KEY_RATE_LIMIT: '42' })).toMatchObject({ segmentPerAddressPerMinute: 0, segmentPerKeyPerMinute: 42 });
    expect(() => readLimits({ LEADBEAM_SEGMENT_KEY_RATE_LIMIT: '-1' })).toThrow(/LEADBEAM_SEGMENT_KEY_RATE_LIMIT/);
  });
});

describeEachDialect('rate limits on the Segment-compatible API', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  /** The app on a real loopback socket, so the client address is the socket's (or, from a trusted proxy, the forwarded one). */
  const listen = async (limits: NonNullable<AppOptions['limits']>) => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      segment: (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${base}/v1/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Authorization: basic('demo'), ...headers } }),
      collect: () =>
        fetch(`${base}/v1/collect`, { method: 'POST', body: JSON.stringify({ site: 'demo', sentAt: Date.now(), events: [makeEvent()] }), headers: { 'Content-Type': 'text/plain', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA } }),
    };
  };
  const track = () => ({ anonymousId: randomUUID(), event: 'Email Opened' });

  it('answers 429 with Retry-After past the per-address limit, counting every route and even unauthenticated calls, apart from /v1/collect', async () => {
    const { segment, collect } = await listen({ perAddressPerMinute: 2, perSitePerMinute: 0, trustedProxies: [], segmentPerAddressPerMinute: 4, segmentPerKeyPerMinute: 0 });
    const statuses = [
      (await segment('track', track())).status,
      (await segment('identify', { userId: 'u1', traits: {} })).status,
      (await segment('batch', { batch: [{ type: 'page', ...track() }] })).status,
      (await segment('track', track(), { Authorization: basic('no-such-site') })).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 401]);
    const limited = await segment('track', track(), { 'X-Forwarded-For': '198.51.100.7' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/4 Segment API requests a minute from one address/) });
    // The script's endpoint has its own budget: a backend's burst does not silence the browsers.
    expect((await collect()).status).toBe(200);
    expect((await collect()).status).toBe(200);
    expect((await collect()).status).toBe(429);
  });

  it('limits each key across addresses: the site key, the bootstrap key and a named key each have their own budget', async () => {
    const { segment } = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'], segmentPerAddressPerMinute: 0, segmentPerKeyPerMinute: 2 });
    const from = (i: number) => ({ 'X-Forwarded-For': `203.0.113.${i}` });
    expect((await segment('track', track(), from(1))).status).toBe(200);
    expect((await segment('page', track(), from(2))).status).toBe(200);
    const limited = await segment('track', track(), from(3));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/write key "demo" sent more than 2 Segment API requests this minute/) });
    // The body's writeKey is the same key: no way around the budget.
    expect((await segment('track', { ...track(), writeKey: 'demo' }, { ...from(4), Authorization: '' })).status).toBe(429);

    // Another site's key, the bootstrap key and a named write key are untouched by demo's burst.
    expect((await segment('track', track(), { ...from(5), Authorization: basic('other') })).status).toBe(200);
    const { key, name } = await createKeyStore({ db: getDb().db }).create({ name: `crm-${randomUUID()}`, scopes: ['write'] });
    for (const bearer of [TEST_SECRET_KEY, key]) {
      const headers = { ...from(6), Authorization: `Bearer ${bearer}` };
      const body = { ...track(), context: { site: 'demo' } };
      expect((await segment('track', body, headers)).status).toBe(200);
      expect((await segment('track', body, headers)).status).toBe(200);
      const over = await segment('track', body, headers);
      expect(over.status).toBe(429);
      expect((await over.json()).error.message).toContain(bearer === key ? `key "${name}"` : 'key "bootstrap"');
    }
  });

  it("counts a site key's messages against its address's events budget, as /v1/collect's events; secret keys are exempt", async () => {
    const { segment } = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'], segmentPerAddressPerMinute: 0, segmentPerKeyPerMinute: 0, eventsPerAddressPerMinute: 10 });
    const from = (i: number) => ({ 'X-Forwarded-For': `203.0.113.${i}` });
    const batchOf = (n: number, event = 'Email Opened') => ({ batch: Array.from({ length: n }, () => ({ type: 'track', ...track(), event })) });
    expect((await segment('batch', batchOf(6), from(20))).status).toBe(200);
    // Five more do not fit in ten: refused whole, none stored, and a Segment client retries after Retry-After.
    const event = `Over budget ${randomUUID()}`;
    const limited = await segment('batch', batchOf(5, event), from(20));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/more than 10 events a minute from one address/) });
    expect(await getDb().db.selectFrom('events').select('id').where('name', '=', event).execute()).toEqual([]);
    // Four still fit; then even a single call is one too many.
    expect((await segment('batch', batchOf(4), from(20))).status).toBe(200);
    expect((await segment('track', track(), from(20))).status).toBe(429);
    // Another address has its own budget; a secret key (a trusted server) has none from this one.
    expect((await segment('batch', batchOf(10), from(21))).status).toBe(200);
    const secret = await segment('batch', { ...batchOf(50), context: { site: 'demo' } }, { ...from(20), Authorization: `Bearer ${TEST_SECRET_KEY}` });
    expect(secret.status).toBe(200);
    expect((await secret.json()).accepted).toBe(50);
  });

  it('turns off with 0', async () => {
    const { segment } = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: [], segmentPerAddressPerMinute: 0, segmentPerKeyPerMinute: 0 });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => segment('track', track()).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});
