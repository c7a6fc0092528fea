import { serve, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { FAILED_KEY_WINDOW_MS, MAX_FAILED_KEY_CHECKS } from '../auth/keyGuesses.js';
import { createKeyStore } from '../keys/keyStore.js';

// A loopback server: other clients are told apart by the X-Forwarded-For that a proxy on this
// host (trusted by default) passes on.

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
const wrong = (i: number) => `sk_guess_${String(i).padStart(16, '0')}`;

describeEachDialect('guessing keys on the Segment-compatible routes', (getDb) => {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const listen = async () => {
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    /** A Segment call from `client`; `authorization` undefined sends none. */
    return (call: string, client: string, authorization: string | undefined, body: Record<string, unknown> = {}) =>
      fetch(`${base}/v1/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client, ...(authorization && { Authorization: authorization }) },
        body: JSON.stringify(call === 'batch' ? { batch: [{ type: 'track', anonymousId: randomUUID(), event: 'Trial Started' }], context: { site: 'scored' }, ...body } : { anonymousId: randomUUID(), event: 'Trial Started', context: { site: 'scored' }, ...body }),
      });
  };

  it(`counts unknown secret keys and unknown write keys, however sent, and after ${MAX_FAILED_KEY_CHECKS} refuses every key from that address with 429 and Retry-After, unchecked`, async () => {
    const send = await listen();
    const client = '203.0.113.61';
    // Each way a key reaches these routes: a bearer token, the Basic username, the body's writeKey.
    const guesses = [
      (i: number) => send('track', client, `Bearer ${wrong(i)}`),
      (i: number) => send('batch', client, basic(`wk_guess_${i}`)),
      (i: number) => send('identify', client, undefined, { writeKey: `wk_guess_${i}` }),
    ];
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      const res = await guesses[i % guesses.length]!(i);
      expect(res.status, `guess ${i}`).toBe(401);
    }
    // The right keys, each way, are not checked any more: a 200 would tell the guesser it found one.
    for (const refused of [
      () => send('track', client, `Bearer ${TEST_SECRET_KEY}`),
      () => send('batch', client, basic('scored')),
      () => send('identify', client, undefined, { writeKey: 'scored' }),
      () => send('track', client, `Bearer ${wrong(99)}`),
    ]) {
      const res = await refused();
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(FAILED_KEY_WINDOW_MS / 1000);
      expect(await res.json()).toEqual({
        error: {
          code: 'rate_limited',
          field: 'authorization',
          message: expect.stringMatching(new RegExp(`^authorization: ${MAX_FAILED_KEY_CHECKS} wrong keys within a minute from this address.*retry in ${retryAfter} s$`)),
        },
      });
    }
    // A call without a key is no guess: it still hears what to send.
    expect((await send('track', client, undefined)).status).toBe(401);
    // Another address sends as before.
    expect((await send('track', '203.0.113.62', `Bearer ${TEST_SECRET_KEY}`)).status).toBe(200);
    expect((await send('track', '203.0.113.62', basic('scored'))).status).toBe(200);
  });

  it("counts nothing for a call without a key, an empty write key, a right key or a key lacking the write scope, so a busy sender's calls are never refused for them", async () => {
    const send = await listen();
    const client = '198.51.100.61';
    const { key: readOnly } = await createKeyStore({ db: getDb().db }).create({ name: `segment-guesses-${randomUUID()}`, scopes: ['read'] });
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      expect((await send('track', client, undefined)).status).toBe(401);
      expect((await send('track', client, basic(''))).status).toBe(401);
      expect((await send('track', client, `Bearer ${readOnly}`)).status).toBe(403);
      expect((await send('track', client, basic('scored'))).status).toBe(200);
    }
    expect((await send('track', client, `Bearer ${TEST_SECRET_KEY}`)).status).toBe(200);
  });
});
