import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, postBatch, testApp, testConfig } from '../../../test/support/ingest.js';
import { createKeyStore } from '../keys/keyStore.js';
import { createApp, createScorers } from '../app.js';
import { createEventWriter } from '../pipeline/createEventWriter.js';

const basic = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
const CURL_UA = 'curl/8.5.0';

describeEachDialect('Segment HTTP API', (getDb) => {
  const app = () => testApp(getDb().db);
  const send = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app().request(`/v1/${path}`, {
      method: 'POST',
      body: (typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)) as BodyInit,
      headers: { 'Content-Type': 'application/json', 'User-Agent': CURL_UA, Authorization: basic('scored'), ...headers },
    });
  const eventsOf = (visitorId: string) => getDb().db.selectFrom('events').selectAll().where('visitor_id', '=', visitorId).orderBy('ts').execute();

  it('stores a track call from curl (no bot filter) with the event name and properties', async () => {
    const anonymousId = randomUUID();
    const res = await send('track', { anonymousId, event: 'Trial Started', properties: { plan: 'growth' }, messageId: `m-${randomUUID()}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 1, duplicates: 0, rejected: [] });
    const [row] = await eventsOf(anonymousId);
    expect(row).toMatchObject({ site_id: 'scored', type: 'track', name: 'Trial Started', visit: 1, url: 'app://server/' });
    expect(JSON.parse(row!.props!)).toEqual({ plan: 'growth' });
  });

  it('reads a gzip body', async () => {
    const anonymousId = randomUUID();
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'page', anonymousId, name: 'Pricing', properties: { url: 'https://www.example.com/pricing?token=s3cret' } }], sentAt: new Date().toISOString() }));
    const res = await send('batch', body, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(1);
    const [row] = await eventsOf(anonymousId);
    // A real page is classified by the site's rules, and secrets leave its URL.
    expect(row).toMatchObject({ type: 'pageview', name: 'Pricing', path: '/pricing', category: 'pricing', stage: 'bottom' });
    expect(row!.url).not.toContain('s3cret');
  });

  it('refuses a gzip bomb once it inflates past the batch limit', async () => {
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20));
    const res = await send('batch', bomb, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', field: 'body' });
  });

  it('answers 400 naming the field for an event over 32 KB, alone or in a batch', async () => {
    const big = { anonymousId: randomUUID(), event: 'Big', properties: { blob: 'x'.repeat(33 * 1024) } };
    const single = await send('track', big);
    expect(single.status).toBe(400);
    expect((await single.json()).error).toMatchObject({ code: 'invalid_request', field: 'properties.blob' });

    const anonymousId = randomUUID();
    const mixed = await send('batch', { batch: [{ ...big, type: 'track' }, { type: 'track', anonymousId, event: 'Small' }] });
    expect(mixed.status).toBe(200);
    const body = await mixed.json();
    expect(body).toMatchObject({ success: true, accepted: 1 });
    expect(body.rejected).toEqual([expect.objectContaining({ index: 0, field: 'batch.0.properties.blob' })]);
  });

  it('answers 400 for a batch over 500 KB', async () => {
    const batch = Array.from({ length: 20 }, () => ({ type: 'track', anonymousId: randomUUID(), event: 'E', properties: { blob: 'x'.repeat(30 * 1024) } }));
    const res = await send('batch', { batch });
    expect(res.status).toBe(400);
    expect((await res.json()).error.field).toBe('body');
  });

  it('refuses a batch of more than 500 messages naming batch, with a site key or a secret key, and stores none of it', async () => {
    const event = `Flood ${randomUUID()}`;
    const batch = Array.from({ length: 501 }, (_, i) => ({ type: 'track', anonymousId: `flood-${i}-${randomUUID()}`, event, context: { site: 'scored' } }));
    for (const authorization of [basic('scored'), `Bearer ${TEST_SECRET_KEY}`]) {
      const res = await send('batch', { batch }, { Authorization: authorization });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_request', field: 'batch', message: expect.stringMatching(/^batch: 501 messages is more than 500 a batch/) } });
    }
    expect(await getDb().db.selectFrom('events').select('id').where('name', '=', event).execute()).toEqual([]);
    // 500, what /v1/collect takes a batch, is stored.
    const full = await send('batch', { batch: batch.slice(1) });
    expect(full.status).toBe(200);
    expect(await full.json()).toMatchObject({ accepted: 500, rejected: [] });
  });

  it('answers 401 for a wrong write key, in the header or in the body', async () => {
    const res = await send('track', { anonymousId: randomUUID(), event: 'E' }, { Authorization: basic('nope') });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatchObject({ code: 'unauthorized', field: 'authorization' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    const inBody = await send('track', { writeKey: 'nope', anonymousId: randomUUID(), event: 'E' }, { Authorization: '' });
    expect(inBody.status).toBe(401);
    const none = await send('track', { anonymousId: randomUUID(), event: 'E' }, { Authorization: '' });
    expect(none.status).toBe(401);
  });

  it('refuses a site key sent by a page of another origin (a browser), as /v1/collect does; servers send no Origin', async () => {
    const anonymousId = randomUUID();
    const foreign = await send('track', { writeKey: 'scored', anonymousId, event: 'Pricing Viewed', userId: `victim-${randomUUID()}@fernhill.example` }, { Authorization: '', 'Content-Type': 'text/plain', Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.message).toContain('origin https://evil.example is not allowed for site "scored"');
    expect(await eventsOf(anonymousId)).toEqual([]);
    // The site's own pages may (analytics.js in the browser), and a secret key from anywhere.
    const own = await send('track', { writeKey: 'scored', anonymousId, event: 'Pricing Viewed' }, { Authorization: '', Origin: DEMO_ORIGIN });
    expect(own.status).toBe(200);
    const keyed = await send('track', { anonymousId, event: 'Trial Started', context: { site: 'scored' } }, { Authorization: `Bearer ${TEST_SECRET_KEY}`, Origin: 'https://crm.example' });
    expect(keyed.status).toBe(200);
    expect((await eventsOf(anonymousId)).map((e) => e.name)).toEqual(['Pricing Viewed', 'Trial Started']);
  });

  it('stores no card number given as an anonymousId or messageId: the message is refused, or the id hashed', async () => {
    const card = await send('track', { anonymousId: '4111111111111111', event: 'E' });
    expect(card.status).toBe(400);
    expect((await card.json()).error).toMatchObject({ field: 'anonymousId' });
    const inBatch = await send('batch', { batch: [{ type: 'track', anonymousId: '4111111111111111', event: 'E' }, { type: 'track', anonymousId: randomUUID(), event: 'E' }] });
    expect(await inBatch.json()).toMatchObject({ accepted: 1, rejected: [{ index: 0, field: 'batch.0.anonymousId' }] });
    const anonymousId = randomUUID();
    const message = await send('track', { anonymousId, event: 'E', messageId: '5555555555554444' });
    expect(await message.json()).toMatchObject({ accepted: 1 });
    const rows = await getDb().db.selectFrom('events').selectAll().where((eb) => eb.or([eb('visitor_id', '=', '4111111111111111'), eb('visitor_id', '=', anonymousId)])).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toMatch(/4111111111111111|5555555555554444/);
  });

  it("names a hybrid app's page (capacitor://, file://) like a screen instead of refusing it", async () => {
    const anonymousId = randomUUID();
    for (const url of ['capacitor://localhost/home', 'file:///index.html']) {
      const res = await send('page', { anonymousId, name: 'Home', context: { page: { url } } });
      expect(res.status).toBe(200);
    }
    expect((await eventsOf(anonymousId)).map((e) => e.url)).toEqual(['app://page/Home', 'app://page/Home']);
  });

  it('takes the write key from the body', async () => {
    const res = await send('track', { writeKey: 'scored', anonymousId: randomUUID(), event: 'E' }, { Authorization: '' });
    expect(res.status).toBe(200);
  });

  it('answers 400 naming userId when neither userId nor anonymousId is given', async () => {
    const res = await send('identify', { traits: { email: 'x@y.example' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ field: 'userId', message: expect.stringMatching(/^userId: .*anonymousId/) });
    const batch = await send('batch', { batch: [{ type: 'track', event: 'E' }] });
    expect(batch.status).toBe(400);
    expect((await batch.json()).error.field).toBe('batch.0.userId');
  });

  it('stores a retried messageId once, and hashes one that does not fit an event id', async () => {
    const anonymousId = randomUUID();
    const message = { anonymousId, event: 'Clicked', messageId: 'a retried id: not [\\w-] #1' };
    expect(await (await send('track', message)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await send('track', message)).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const rows = await eventsOf(anonymousId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toMatch(/^sg_[\w-]{32}$/);
  });

  it("stores a trusted sender's event whose id a public sender took first, under an id of its own, once however often it is retried", async () => {
    const messageId = `crm-meeting-${randomUUID()}`;
    const visitorId = `v_${randomUUID()}`;
    // Anyone with the public site key sends the predictable id first.
    expect((await (await postBatch(app(), { events: [makeEvent({ id: messageId, visitorId, type: 'track', name: 'harmless' })] })).json()).accepted).toBe(1);
    const crm = { anonymousId: visitorId, event: 'Meeting Booked', messageId, context: { site: 'demo' } };
    const bearer = { Authorization: `Bearer ${TEST_SECRET_KEY}` };
    expect(await (await send('track', crm, bearer)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    // A retry is still one event.
    expect(await (await send('track', crm, bearer)).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const rows = await eventsOf(visitorId);
    expect(rows.map((r) => [r.name, r.trusted])).toEqual([
      ['harmless', 0],
      ['Meeting Booked', 1],
    ]);
    expect(rows[1]!.id).toMatch(/^st_[\w-]{32}$/);
    // Without a clash the messageId stays the id.
    const own = `crm-call-${randomUUID()}`;
    expect(await (await send('track', { ...crm, event: 'Call', messageId: own }, bearer)).json()).toMatchObject({ accepted: 1 });
    expect((await eventsOf(visitorId)).map((r) => r.id)).toContain(own);
  });

  it("stores a trusted sender's event whose id a public sender's event in the same commit group took, under its own id", async () => {
    // One writer with a long window, so the two requests commit in one group, the public one first.
    const writer = createEventWriter({ db: getDb().db, scorers: createScorers(testConfig), windowMs: 200 });
    const shared = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, writer });
    const messageId = `crm-meeting-${randomUUID()}`;
    const visitorId = `v_${randomUUID()}`;
    const publicSent = postBatch(shared, { events: [makeEvent({ id: messageId, visitorId, type: 'track', name: 'harmless' })] });
    await new Promise((r) => setTimeout(r, 20));
    const crm = shared.request('/v1/track', {
      method: 'POST',
      body: JSON.stringify({ anonymousId: visitorId, event: 'Meeting Booked', messageId, context: { site: 'demo' } }),
      headers: { 'Content-Type': 'application/json', 'User-Agent': CURL_UA, Authorization: `Bearer ${TEST_SECRET_KEY}` },
    });
    const [pub, trusted] = await Promise.all([publicSent, crm]);
    expect(await pub.json()).toMatchObject({ accepted: 1 });
    expect(await trusted.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(writer.stats.groups).toBe(1);
    const rows = await eventsOf(visitorId);
    expect(rows.map((r) => [r.name, r.trusted, r.id.startsWith('st_')])).toEqual([
      ['harmless', 0, false],
      ['Meeting Booked', 1, true],
    ]);
  });

  it('keeps ids starting st_ for the server: /v1/collect refuses them naming id, a site key\'s messageId is hashed', async () => {
    const visitorId = `v_${randomUUID()}`;
    const good = makeEvent({ visitorId });
    const res = await postBatch(app(), { events: [makeEvent({ id: 'st_0123456789abcdef', visitorId }), good] });
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toMatchObject([{ index: 0, field: 'id', error: expect.stringMatching(/^id: ids starting st_ are the server's/) }]);
    const anonymousId = randomUUID();
    expect((await send('track', { anonymousId, event: 'E', messageId: 'st_0123456789abcdef' })).status).toBe(200);
    expect((await eventsOf(anonymousId))[0]!.id).toMatch(/^sg_/);
  });

  it('refuses a message dated more than 30 days before it was sent, naming timestamp and only what the sender gave', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const alone = await send('track', { anonymousId: randomUUID(), event: 'E', timestamp: old });
    expect(alone.status).toBe(400);
    expect((await alone.json()).error).toEqual({ code: 'invalid_request', field: 'timestamp', message: 'timestamp: more than 30 days before it arrived (no sentAt was given); events that old are not accepted' });
    const withSentAt = await (await send('batch', { batch: [{ type: 'track', anonymousId: randomUUID(), event: 'E', timestamp: old }, { type: 'track', anonymousId: randomUUID(), event: 'E' }], sentAt: new Date().toISOString() })).json();
    expect(withSentAt.rejected).toMatchObject([{ field: 'batch.0.timestamp', error: 'batch.0.timestamp: more than 30 days before the message was sent (sentAt); events that old are not accepted' }]);
  });

  it('corrects the sender clock from timestamp and sentAt', async () => {
    const now = Date.UTC(2026, 5, 1, 12);
    const anonymousId = randomUUID();
    const clock = testApp(getDb().db, () => now);
    // The sender's clock is an hour fast; the event happened 10 s before the batch left.
    const sentAt = now + 3_600_000;
    await clock.request('/v1/batch', {
      method: 'POST',
      headers: { Authorization: basic('scored'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch: [{ type: 'track', anonymousId, event: 'E', timestamp: new Date(sentAt - 10_000).toISOString() }], sentAt: new Date(sentAt).toISOString() }),
    });
    const [row] = await eventsOf(anonymousId);
    expect(row).toMatchObject({ ts: now - 10_000, client_ts: sentAt - 10_000, received_at: now });
  });

  it("derives a stable visitor from userId, with one session a day: one for a secret key's messages, another for a site key's", async () => {
    const userId = `user-${randomUUID()}`;
    for (const event of ['A', 'B']) expect((await send('track', { userId, event })).status).toBe(200);
    expect((await send('track', { userId, event: 'C', context: { site: 'scored' } }, { Authorization: `Bearer ${TEST_SECRET_KEY}` })).status).toBe(200);
    const rows = await getDb().db.selectFrom('events').selectAll().where('name', 'in', ['A', 'B', 'C']).orderBy('name').execute();
    expect(rows).toHaveLength(3);
    // The site key is public: its messages never write as the visitor a secret key's sender made.
    expect(new Set(rows.slice(0, 2).map((r) => r.visitor_id))).toEqual(new Set([expect.stringMatching(/^pu_[\w-]{24}$/)]));
    expect(rows[2]!.visitor_id).toMatch(/^su_[\w-]{24}$/);
    expect(new Set(rows.slice(0, 2).map((r) => r.session_id)).size).toBe(1);
  });

  it('acknowledges alias and says why it was ignored; group records the company', async () => {
    const anonymousId = randomUUID();
    const res = await send('batch', {
      batch: [
        { type: 'alias', userId: 'new', previousId: 'old', messageId: 'alias-0001' },
        { type: 'group', anonymousId, groupId: 'g1', traits: { name: 'Fernhill Ltd' } },
      ],
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ success: true, accepted: 1, ignored: [{ index: 0, messageId: 'alias-0001', reason: expect.stringMatching(/^alias:/) }] });
    const [row] = await eventsOf(anonymousId);
    expect(row).toMatchObject({ type: 'identify' });
    expect(JSON.parse(row!.traits!)).toEqual({ company: 'Fernhill Ltd' });
  });

  it('takes a secret key with the write scope as a bearer token, the site from context.site', async () => {
    const { key } = await createKeyStore({ db: getDb().db }).create({ name: 'crm', scopes: ['write'] });
    const { key: readOnly } = await createKeyStore({ db: getDb().db }).create({ name: 'dash', scopes: ['read'] });
    const anonymousId = randomUUID();
    const message = { anonymousId, event: 'E', context: { site: 'demo' } };
    expect((await send('track', message, { Authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await eventsOf(anonymousId))[0]!.site_id).toBe('demo');
    expect((await send('track', message, { Authorization: `Bearer ${readOnly}` })).status).toBe(403);
    const noSite = await send('track', { anonymousId, event: 'E' }, { Authorization: `Bearer ${TEST_SECRET_KEY}` });
    expect(noSite.status).toBe(400);
    expect((await noSite.json()).error.field).toBe('context.site');
  });

  it('links an identify with an email userId to a lead', async () => {
    const anonymousId = randomUUID();
    const email = `cfo-${randomUUID().slice(0, 8)}@fernhill.example`;
    const res = await send('identify', { anonymousId, userId: email, traits: { title: 'CFO', company: { name: 'Fernhill' } } });
    expect(res.status).toBe(200);
    const { leads } = await (await getWithKey(app(), `/v1/leads?email=${encodeURIComponent(email)}`)).json();
    expect(leads).toHaveLength(1);
    expect(leads[0].traits).toMatchObject({ email, jobTitle: 'CFO', company: 'Fernhill' });
  });
});
