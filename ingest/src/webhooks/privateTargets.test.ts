import { randomUUID } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY, testApp, testConfig } from '../../../test/support/ingest.js';
import { startReceiver } from '../../../test/support/receiver.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import { readSettings } from '../settings.js';
import type { Resolver } from './checkedLookup.js';
import { createWebhookDispatcher, type DispatcherOptions } from './dispatcher.js';
import { REFUSED_URLS, refusalAfter } from './refusedUrls.fixture.js';

// SSRF: webhooks never reach loopback, private or internal addresses unless allowed. Every
// connection here goes to a loopback receiver; other addresses exist only in stubbed DNS answers.

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };

describe('webhook URLs in the config file', () => {
  const withHook = (url: string) => ({ sites: [{ key: 'demo', webhooks: [{ url, secret: 'whsec_config_0123456789', events: ['lead.sql'] }] }] });

  it('refuses every private, loopback and internal target, naming the field and why', () => {
    for (const [url, why] of REFUSED_URLS) {
      expect(() => parseConfig(withHook(url), 'x', {}), url).toThrow(refusalAfter('  - sites.0.webhooks.0.url: ', why));
    }
    expect(parseConfig(withHook('https://crm.example/hook'), 'x', {}).sites[0]!.webhooks[0]!.url).toBe('https://crm.example/hook');
  });
});

describe('LEADBEAM_ALLOW_PRIVATE_WEBHOOKS', () => {
  const key = { LEADBEAM_SECRET_KEY: 'sk_test_0123456789abcdef' };
  it('is off unless set to true, and a value that is neither true nor false stops the start', () => {
    expect(readSettings(key).allowPrivateWebhooks).toBe(false);
    expect(readSettings({ ...key, LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: 'false' }).allowPrivateWebhooks).toBe(false);
    expect(readSettings({ ...key, LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: 'true' }).allowPrivateWebhooks).toBe(true);
    expect(() => readSettings({ ...key, LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: 'yes' })).toThrow(/LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: "yes" is neither true nor false/);
  });
});

describeEachDialect('webhooks to private targets', (getDb) => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const { db } = getDb();
    await db.deleteFrom('webhook_attempts').execute();
    await db.deleteFrom('webhook_deliveries').execute();
    await db.deleteFrom('webhooks').execute();
  });

  const receiverOf = async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    return receiver;
  };
  const dispatcher = (options: Omit<DispatcherOptions, 'db'>) => {
    const d = createWebhookDispatcher({ db: getDb().db, ...options });
    cleanups.push(() => d.stop());
    return d;
  };
  /** Stub DNS: only the names given resolve; remembers every name asked. */
  const stubDns = (answers: Record<string, string>) => {
    const asked: string[] = [];
    const resolve: Resolver = async (hostname) => {
      asked.push(hostname);
      const address = answers[hostname];
      if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return [{ address, family: address.includes(':') ? 6 : 4 } satisfies LookupAddress];
    };
    return { resolve, asked };
  };
  /** A delivery due now to a webhook at `url`, stored as the outbox would (or as a row from before these checks). */
  async function storeDelivery(url: string): Promise<string> {
    const { db } = getDb();
    const at = Date.now();
    const webhookId = `wh_${randomUUID()}`;
    const id = `dl_${randomUUID()}`;
    await db.insertInto('webhooks').values({ id: webhookId, site_id: null, url, secret: 'whsec_test_0123456789abcdef', events: '["lead.sql"]', created_at: at }).execute();
    await db
      .insertInto('webhook_deliveries')
      .values({ id, webhook_id: webhookId, event_type: 'lead.sql', lead_id: 'ld_test', payload: JSON.stringify({ id, type: 'lead.sql' }), status: 'pending', attempts: 0, next_attempt_at: at - 1, created_at: at, delivered_at: null })
      .execute();
    return id;
  }
  const attemptsOf = (id: string) => getDb().db.selectFrom('webhook_attempts').select(['attempt', 'status_code', 'error']).where('delivery_id', '=', id).orderBy('attempt').execute();
  const statusOf = async (id: string) => (await getDb().db.selectFrom('webhook_deliveries').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow());

  it('refuses to register a webhook for any spelling of a private, loopback or internal target: 400 naming url and why', async () => {
    const app = testApp(getDb().db);
    for (const [url, why] of REFUSED_URLS) {
      const res = await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url, events: ['lead.sql'] }) });
      expect(res.status, url).toBe(400);
      const { error } = await res.json();
      expect(error.field, url).toBe('url');
      expect(error.message, url).toMatch(refusalAfter('url: ', why));
    }
    expect(await getDb().db.selectFrom('webhooks').select('url').execute()).toEqual([]);
    // A developer's local receiver: the refusal says which setting allows it; a bad URL does not.
    const register = async (url: string) => (await (await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url, events: ['lead.sql'] }) })).json()).error.message;
    expect(await register('http://127.0.0.1:8799/hook')).toBe(
      'url: 127.0.0.1 is a loopback address: webhooks only go to public addresses (for a receiver on your own machine in development, start the ingest with LEADBEAM_ALLOW_PRIVATE_WEBHOOKS=true)',
    );
    expect(await register('ftp://crm.example/hook')).toBe('url: must be an http(s) URL');
    // A public name registers; private ones only when the ingest allows them (local development).
    expect((await app.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'https://crm.example/hook', events: ['lead.sql'] }) })).status).toBe(201);
    const allowing = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, allowPrivateWebhooks: true });
    const loopback = await allowing.request('/v1/webhooks', { method: 'POST', headers: auth, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['lead.sql'] }) });
    expect(loopback.status).toBe(201);
  });

  it('refuses at delivery a name that resolves to a private address, records why, and connects nowhere', async () => {
    const receiver = await receiverOf();
    const port = new URL(receiver.url).port;
    const dns = stubDns({ 'hooks.example': '10.0.0.5' });
    const id = await storeDelivery(`http://hooks.example:${port}/hook`);
    await dispatcher({ resolve: dns.resolve }).kick();
    // The stubbed lookup is the only way to an address, and its answer was refused: no socket connected.
    expect(dns.asked).toEqual(['hooks.example']);
    expect(await attemptsOf(id)).toEqual([{ attempt: 1, status_code: null, error: 'refused: hooks.example resolves to 10.0.0.5, a private address' }]);
    expect(await statusOf(id)).toEqual({ status: 'pending', attempts: 1 }); // retried later, checked again then
    expect(receiver.received).toEqual([]);
  });

  it('refuses a public-looking name whose DNS answers loopback (rebinding): the receiver behind it sees nothing', async () => {
    const receiver = await receiverOf();
    const dns = stubDns({ 'api.partner.example': '127.0.0.1' });
    const id = await storeDelivery(receiver.url.replace('127.0.0.1', 'api.partner.example'));
    await dispatcher({ resolve: dns.resolve }).kick();
    expect(dns.asked).toEqual(['api.partner.example']);
    expect(await attemptsOf(id)).toEqual([{ attempt: 1, status_code: null, error: 'refused: api.partner.example resolves to 127.0.0.1, a loopback address' }]);
    expect(receiver.received).toEqual([]);
  });

  it('refuses at delivery a stored URL whose host is a private address in any spelling, without looking anything up', async () => {
    const receiver = await receiverOf();
    const port = new URL(receiver.url).port;
    const dns = stubDns({});
    // Rows from before registration checked URLs: all of them reach the loopback receiver if sent.
    const ids = await Promise.all([`http://127.0.0.1:${port}/hook`, `http://2130706433:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/hook`].map(storeDelivery));
    await dispatcher({ resolve: dns.resolve }).kick();
    expect(await Promise.all(ids.map(attemptsOf))).toEqual([
      [{ attempt: 1, status_code: null, error: 'refused: 127.0.0.1 is a loopback address: webhooks only go to public addresses' }],
      [{ attempt: 1, status_code: null, error: 'refused: the host (read as 127.0.0.1) is a loopback address: webhooks only go to public addresses' }],
      [{ attempt: 1, status_code: null, error: 'refused: the host (read as ::ffff:7f00:1) is an IPv4-mapped form of 127.0.0.1, a loopback address: webhooks only go to public addresses' }],
    ]);
    expect(dns.asked).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it('delivers to a loopback receiver, by address or by a name the resolver maps there, when private targets are allowed', async () => {
    const receiver = await receiverOf();
    const dns = stubDns({ 'hooks.example': '127.0.0.1' });
    const byName = receiver.url.replace('127.0.0.1', 'hooks.example');
    const ids = await Promise.all([receiver.url, byName].map(storeDelivery));
    await dispatcher({ resolve: dns.resolve, allowPrivateWebhooks: true }).kick();
    expect(await Promise.all(ids.map(statusOf))).toEqual([
      { status: 'delivered', attempts: 1 },
      { status: 'delivered', attempts: 1 },
    ]);
    expect(receiver.received.map((r) => r.headers.host).sort()).toEqual([new URL(byName).host, new URL(receiver.url).host].sort());
    expect(dns.asked).toEqual(['hooks.example']);
  });
});
