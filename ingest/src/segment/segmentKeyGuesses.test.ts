import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { FAILED_KEY_WINDOW_MS, MAX_FAILED_KEY_CHECKS } from '../auth/keyGuesses.js';
import { createKeyStore } from '../keys/keyStore.js';
import { loopbackServers } from '../../../test/support/loopbackServers.js';

// A loopback server: other clients are told apart by the X-Forwarded-For that a proxy on this
// host (trusted by default) passes on.

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
const wrong = (i: number) => `sk_guess_${String(i).padStart(16, '0')}`;

describeEachDialect('guessing keys on the Segment-compatible routes', (getDb) => {
  const serveApp = loopbackServers();
  const listen = async () => {
    const base = await serveApp(createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY }));
    /** A Segment call from `client`; `authorization` undefined sends none. */
    return (call: string, client: string, authorization: string | undefined, body: Record<string, unknown> = {}) =>
      fetch(`${base}/v1/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client, ...(authorization && { Authorization: authorization }) },
        body: JSON.stringify(call === 'batch' ? { batch: [{ type: 'track', anonymousId: randomUUID(), event: 'Trial Started' }], context: { site: 'scored' }, ...body } : { anonymousId: randomUUID(), event: 'Trial Started', context: { site: 'scored' }, ...body }),
      });
  };

  it(`counts unknown secret keys, however sent (a write key shaped like one, sk_…, too), and after ${MAX_FAILED_KEY_CHECKS} refuses every secret key from that address with 429 and Retry-After, unchecked, while its public site key still goes through`, async () => {
    const send = await listen();
    const client = '203.0.113.61';
    // Each way a key reaches these routes: a bearer token, the Basic username, the body's writeKey.
    const guesses = [
      (i: number) => send('track', client, `Bearer ${wrong(i)}`),
      (i: number) => send('batch', client, basic(wrong(i))),
      (i: number) => send('identify', client, undefined, { writeKey: wrong(i) }),
    ];
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      const res = await guesses[i % guesses.length]!(i);
      expect(res.status, `guess ${i}`).toBe(401);
    }
    // Secret keys, the right one too, are not checked any more: a 200 would tell the guesser it found one.
    for (const refused of [
      () => send('track', client, `Bearer ${TEST_SECRET_KEY}`),
      () => send('batch', client, basic(wrong(98))),
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
    // The site key is public, so taking it tells the guesser nothing: each way it is sent, it goes through.
    expect((await send('batch', client, basic('scored'))).status).toBe(200);
    expect((await send('identify', client, undefined, { writeKey: 'scored' })).status).toBe(200);
    // Another address sends as before.
    expect((await send('track', '203.0.113.62', `Bearer ${TEST_SECRET_KEY}`)).status).toBe(200);
    expect((await send('track', '203.0.113.62', basic('scored'))).status).toBe(200);
  });

  it(`checks at most ${MAX_FAILED_KEY_CHECKS} of 300 wrong secret keys sent at once from one address and refuses the rest with 429, unchecked`, async () => {
    // In process, so all 300 are in flight before the first lookup in the database is over;
    // in-process requests have no socket: they are all one client.
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY });
    const send = async (authorization: string) =>
      app.request('/v1/track', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization },
        body: JSON.stringify({ anonymousId: randomUUID(), event: 'Trial Started', context: { site: 'scored' } }),
      });
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => send(`Bearer ${wrong(i)}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILED_KEY_CHECKS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - MAX_FAILED_KEY_CHECKS);
    // The site key is public: it is still taken, so the site-key senders sharing the address go on.
    expect((await send(basic('scored'))).status).toBe(200);
  });

  it("does not count a wrong write key that cannot be a secret key (a sender's typo or stale site key on a shared address locks out no one), but refuses it like any key once the address is locked out", async () => {
    const send = await listen();
    const client = '198.51.100.62';
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS * 2; i++) {
      expect((await send('batch', client, basic(`scored-typo-${i}`))).status).toBe(401);
      expect((await send('identify', client, undefined, { writeKey: `wk_${i}` })).status).toBe(401);
      // A secret key's shape only from its start: "sk_" inside a site key is no secret key.
      expect((await send('track', client, basic(`site_sk_${i}`))).status).toBe(401);
    }
    expect((await send('track', client, basic('scored'))).status).toBe(200);
    expect((await send('track', client, `Bearer ${TEST_SECRET_KEY}`)).status).toBe(200);
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) expect((await send('track', client, `Bearer ${wrong(i)}`)).status).toBe(401);
    expect((await send('track', client, basic('scored-typo'))).status).toBe(429);
  });

  it('counts a secret key sent as the write key as a wrong write key, the right one too: it is never taken as a secret key there, and the count does not tell it from a wrong one', async () => {
    const send = await listen();
    const client = '198.51.100.63';
    const { key: named } = await createKeyStore({ db: getDb().db }).create({ name: `segment-basic-${randomUUID()}`, scopes: ['write'] });
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      const res = i % 2 ? await send('track', client, basic(TEST_SECRET_KEY)) : await send('identify', client, undefined, { writeKey: named });
      expect(res.status, `write key ${i}`).toBe(401);
      expect((await res.json()).error.message).toBe('authorization: the write key is not a site key of this ingest');
    }
    expect((await send('track', client, `Bearer ${named}`)).status).toBe(429);
    expect((await send('track', client, basic('scored'))).status).toBe(200);
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
