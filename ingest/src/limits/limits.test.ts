import { serve, type ServerType } from '@hono/node-server';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, testConfig } from '../../../test/support/ingest.js';
import { createApp, type AppOptions } from '../app.js';
import { readSettings } from '../settings.js';
import { startIngest } from '../startIngest.js';
import { readLimits } from './readLimits.js';
import { clientOf, isLoopback } from './clientAddress.js';

describe('readLimits', () => {
  it('reads the environment, keeps defaults for what is unset, and refuses nonsense naming the variable', () => {
    expect(readLimits({})).toMatchObject({ perAddressPerMinute: 1200, eventsPerAddressPerMinute: 6000 });
    expect(readLimits({ LEADBEAM_RATE_LIMIT: '0', LEADBEAM_TRUSTED_PROXIES: '10.0.0.0/8, loopback' })).toMatchObject({ perAddressPerMinute: 0, trustedProxies: ['10.0.0.0/8', 'loopback'] });
    expect(readLimits({ LEADBEAM_EVENT_RATE_LIMIT: '50', LEADBEAM_HEADERS_TIMEOUT_MS: '1500' })).toMatchObject({ eventsPerAddressPerMinute: 50, headersTimeoutMs: 1500 });
    expect(() => readLimits({ LEADBEAM_RATE_LIMIT: 'lots' })).toThrow(/LEADBEAM_RATE_LIMIT/);
    expect(() => readLimits({ LEADBEAM_EVENT_RATE_LIMIT: '1.5' })).toThrow(/LEADBEAM_EVENT_RATE_LIMIT/);
  });

  it('trusts a proxy on this host unless LEADBEAM_TRUSTED_PROXIES says otherwise, even empty', () => {
    expect(readLimits({}).trustedProxies).toEqual(['loopback']);
    expect(readLimits({ LEADBEAM_TRUSTED_PROXIES: '' }).trustedProxies).toEqual([]);
    expect(readLimits({ LEADBEAM_TRUSTED_PROXIES: '10.0.0.0/8' }).trustedProxies).toEqual(['10.0.0.0/8']);
  });

  it('turns the events limit off with the request limit (LEADBEAM_RATE_LIMIT=0), unless it is set itself', () => {
    expect(readLimits({ LEADBEAM_RATE_LIMIT: '0' }).eventsPerAddressPerMinute).toBe(0);
    expect(readLimits({ LEADBEAM_RATE_LIMIT: '0', LEADBEAM_EVENT_RATE_LIMIT: '300' }).eventsPerAddressPerMinute).toBe(300);
    expect(readLimits({ LEADBEAM_EVENT_RATE_LIMIT: '0' })).toMatchObject({ perAddressPerMinute: 1200, eventsPerAddressPerMinute: 0 });
  });
});

describe('clientOf', () => {
  it('counts an IPv6 client by its /64 and IPv4-mapped IPv6 as IPv4', () => {
    expect(clientOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8:1:2::1')).toBe(clientOf('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientOf('2001:db8:1:3::1')).not.toBe(clientOf('2001:db8:1:2::1'));
    expect(clientOf('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientOf('203.0.113.9')).toBe('203.0.113.9');
    // This machine stays recognisable as such.
    expect(clientOf('::1')).toBe('::1');
    expect(isLoopback(clientOf('::1'))).toBe(true);
    expect(clientOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('isLoopback', () => {
  it('knows this machine in every spelling, and nothing else', () => {
    for (const a of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '203.0.113.9', '::ffff:203.0.113.9', 'local', '']) expect(isLoopback(a), a).toBe(false);
  });
});

describeEachDialect('rate limits on /v1/collect', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  /** The app on a real loopback socket, so the client address is the socket's. */
  const listen = async (limits: NonNullable<AppOptions['limits']>, events = 1) => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/collect`;
    return (headers: Record<string, string> = {}, site = 'demo', n = events) =>
      fetch(url, { method: 'POST', body: JSON.stringify({ site, sentAt: Date.now(), events: Array.from({ length: n }, () => makeEvent()) }), headers: { 'Content-Type': 'text/plain', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA, ...headers } });
  };

  it('answers 429 with Retry-After past the per-address limit, and a forged X-Forwarded-For does not get around it', async () => {
    const post = await listen({ perAddressPerMinute: 5, perSitePerMinute: 0, trustedProxies: [] });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post({ 'X-Forwarded-For': `198.51.100.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await post({ 'X-Forwarded-For': '198.51.100.77' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/5 requests a minute/) });
  });

  it('believes X-Forwarded-For from a trusted proxy only: each forwarded client has its own budget', async () => {
    const post = await listen({ perAddressPerMinute: 2, perSitePerMinute: 0, trustedProxies: ['loopback'] });
    for (const client of ['203.0.113.1', '203.0.113.2']) {
      expect((await post({ 'X-Forwarded-For': client })).status).toBe(200);
      expect((await post({ 'X-Forwarded-For': client })).status).toBe(200);
      expect((await post({ 'X-Forwarded-For': client })).status).toBe(429);
    }
  });

  it('limits a site as a whole, whatever the addresses', async () => {
    const post = await listen({ perAddressPerMinute: 0, perSitePerMinute: 3, trustedProxies: ['loopback'] });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post({ 'X-Forwarded-For': `192.0.2.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another site has its own budget.
    expect((await post({}, 'other')).status).not.toBe(429);
  });

  it('counts an IPv6 client by its /64: another address of the same /64 shares the budget, IPv4-mapped IPv6 is the IPv4 address', async () => {
    const post = await listen({ perAddressPerMinute: 2, perSitePerMinute: 0, trustedProxies: ['loopback'] });
    expect((await post({ 'X-Forwarded-For': '2001:db8:5:6::1' })).status).toBe(200);
    expect((await post({ 'X-Forwarded-For': '2001:db8:5:6:1234:5678:9abc:def0' })).status).toBe(200);
    const limited = await post({ 'X-Forwarded-For': '2001:db8:5:6::99' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The next /64 is another client.
    expect((await post({ 'X-Forwarded-For': '2001:db8:5:7::1' })).status).toBe(200);
    expect((await post({ 'X-Forwarded-For': '203.0.113.60' })).status).toBe(200);
    expect((await post({ 'X-Forwarded-For': '::ffff:203.0.113.60' })).status).toBe(200);
    expect((await post({ 'X-Forwarded-For': '203.0.113.60' })).status).toBe(429);
  });

  it('limits the events one address sends a minute, however few the requests: 429 with Retry-After, counting none of a refused batch', async () => {
    const post = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: ['loopback'], eventsPerAddressPerMinute: 10 }, 4);
    const from = { 'X-Forwarded-For': '198.51.100.20' };
    expect((await post(from)).status).toBe(200);
    expect((await post(from)).status).toBe(200);
    const limited = await post(from);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/10 events a minute from one address/) });
    // What is left of the minute's budget still takes a smaller batch, and then nothing.
    expect((await post(from, 'demo', 2)).status).toBe(200);
    expect((await post(from, 'demo', 1)).status).toBe(429);
    // Another address has its own budget; one batch over the whole budget is refused outright.
    expect((await post({ 'X-Forwarded-For': '198.51.100.21' })).status).toBe(200);
    expect((await post({ 'X-Forwarded-For': '198.51.100.22' }, 'demo', 11)).status).toBe(429);
  });

  it('turns off with 0', async () => {
    const post = await listen({ perAddressPerMinute: 0, perSitePerMinute: 0, trustedProxies: [], eventsPerAddressPerMinute: 0 }, 10);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post().then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});

describeEachDialect('stalled senders', (getDb) => {
  it('cuts a connection whose body never finishes, within the request timeout', async () => {
    const ingest = await startIngest(
      readSettings({ PORT: '0', DATABASE_URL: getDb().url, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY }),
      { ...process.env, LEADBEAM_REQUEST_TIMEOUT_MS: '1000', LEADBEAM_CONFIG: '' },
    );
    try {
      const socket = connect(ingest.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const started = Date.now();
      // Headers and a promise of 1,000 bytes, then only a few of them.
      socket.write(`POST /v1/collect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n{"site":`);
      const closed = await new Promise<number>((resolve) => {
        socket.on('data', () => {});
        socket.once('close', () => resolve(Date.now() - started));
        setTimeout(() => resolve(-1), 10_000);
      });
      socket.destroy();
      expect(closed).toBeGreaterThan(0);
      expect(closed).toBeLessThan(5000);
    } finally {
      await ingest.close();
    }
  }, 20_000);
});
