import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';
import { MAX_BATCH_BYTES } from '../../../shared/src/schemas.js';

describeEachDialect('POST /v1/collect', (getDb) => {
  const app = () => testApp(getDb().db);
  const countEvents = async (visitorId: string) =>
    (await getDb().db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('visitor_id', '=', visitorId).executeTakeFirstOrThrow()).n;

  it('stores a text/plain batch and answers only after it is readable', async () => {
    const visitorId = 'v_' + newId();
    const events = [makeEvent({ visitorId }), makeEvent({ visitorId, path: '/pricing' })];
    const res = await postBatch(app(), { events });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(Number(await countEvents(visitorId))).toBe(2);
  });

  it('accepts application/json as well', async () => {
    const res = await postBatch(app(), { events: [makeEvent()] }, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
  });

  it('stores an event once however often it is retried', async () => {
    const visitorId = 'v_' + newId();
    const event = makeEvent({ visitorId });
    const first = await (await postBatch(app(), { events: [event] })).json();
    const again = await (await postBatch(app(), { events: [event, event] })).json();
    expect(first).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(Number(await countEvents(visitorId))).toBe(1);
    const visitor = await (await getWithKey(app(), `/v1/visitors/${visitorId}`)).json();
    expect(visitor.pageviews).toBe(1);
  });

  it('keeps the good events of a batch and says which were rejected and why', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    const badVisit = { ...makeEvent({ visitorId }), visit: 0 };
    const noType = { ...makeEvent({ visitorId }), type: undefined };
    const res = await postBatch(app(), { events: [badVisit, good, noType as never] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toHaveLength(2);
    expect(body.rejected[0]).toMatchObject({ index: 0, id: badVisit.id, field: 'visit' });
    expect(body.rejected[0].error).toMatch(/^visit:/);
    expect(body.rejected[1]).toMatchObject({ index: 2 });
    expect(body.rejected[1].error).toMatch(/^type:/);
    expect(Number(await countEvents(visitorId))).toBe(1);
  });

  it('refuses an event over 32 KB alone, naming its largest part in bytes as the field (8,000 three-byte characters outweigh 12,000 ASCII ones)', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    const big = makeEvent({ visitorId, props: { ascii: 'x'.repeat(12_000), note: '\u20ac'.repeat(8_000) } });
    const res = await postBatch(app(), { events: [good, big] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 1, rejected: [{ index: 1, id: big.id, field: 'props.note' }] });
    expect(body.rejected[0].error).toMatch(/^props\.note: the event is \d+ bytes, more than the limit of 32768 bytes an event/);
  });

  it('answers 400 when no event of the batch is valid', async () => {
    const res = await postBatch(app(), { events: [{ ...makeEvent(), path: 'no-slash' }] });
    expect(res.status).toBe(400);
    expect((await res.json()).rejected[0].error).toMatch(/^path:/);
  });

  it('answers 400 with a clear message for a malformed body', async () => {
    const notJson = await postBatch(app(), '{"site": "demo", ');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/not valid JSON/) });

    const noEvents = await postBatch(app(), JSON.stringify({ site: 'demo', sentAt: Date.now() }));
    expect(noEvents.status).toBe(400);
    expect((await noEvents.json()).error).toMatchObject({ code: 'invalid_request', field: 'events', message: expect.stringMatching(/^events:/) });

    const noSentAt = await postBatch(app(), JSON.stringify({ site: 'demo', events: [makeEvent()] }));
    expect((await noSentAt.json()).error).toMatchObject({ field: 'sentAt', message: expect.stringMatching(/^sentAt:/) });
  });

  it('answers 404 for an unknown site key, naming the field', async () => {
    const res = await postBatch(app(), { site: 'nope', events: [makeEvent()] });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'not_found', field: 'site', message: expect.stringMatching(/^site: unknown site key "nope"/) });
  });

  it('answers 413 for a body over the documented limit and stores nothing', async () => {
    const visitorId = 'v_' + newId();
    const huge = makeEvent({ visitorId, title: 'x'.repeat(400), props: { blob: 'y'.repeat(1900) } });
    const events = Array.from({ length: Math.ceil(MAX_BATCH_BYTES / 2000) + 50 }, () => ({ ...huge, id: newId() }));
    const res = await postBatch(app(), { events: events.slice(0, 500) });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/larger than/) });
    expect(Number(await countEvents(visitorId))).toBe(0);
  });

  it('moves client timestamps onto the server clock', async () => {
    const serverNow = Date.UTC(2026, 10, 28, 12, 0, 0);
    const skewed = testApp(getDb().db, () => serverNow);
    const visitorId = 'v_' + newId();
    // The client's clock is an hour slow; the event happened 5 s before the batch left.
    const clientNow = serverNow - 3_600_000;
    const event = makeEvent({ visitorId, ts: clientNow - 5000 });
    await postBatch(skewed, { sentAt: clientNow, events: [event] });
    const stored = await getDb().db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(stored.ts).toBe(serverNow - 5000);
    expect(stored.client_ts).toBe(clientNow - 5000);
    expect(stored.received_at).toBe(serverNow);
  });

  it('classifies pages by URL rules, with markup on the page winning', async () => {
    const visitorId = 'v_' + newId();
    const byRule = makeEvent({ visitorId, path: '/blog/some-post/' });
    const byMarkup = makeEvent({ visitorId, path: '/blog/case-study', stage: 'bottom' });
    const untagged = makeEvent({ visitorId, path: '/about' });
    await postBatch(app(), { events: [byRule, byMarkup, untagged] });
    const rows = await getDb().db.selectFrom('events').select(['id', 'stage', 'category']).where('visitor_id', '=', visitorId).execute();
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[byRule.id]).toMatchObject({ stage: 'top', category: 'blog' });
    expect(byId[byMarkup.id]).toMatchObject({ stage: 'bottom', category: 'blog' });
    expect(byId[untagged.id]).toMatchObject({ stage: null, category: null });
  });

  it('refuses a browser origin the site does not allow, and lets server-side senders through', async () => {
    const res = await postBatch(app(), { events: [makeEvent()] }, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/origin https:\/\/evil.example is not allowed/) });
    const other = await postBatch(app(), { site: 'other', events: [makeEvent()] }, { Origin: DEMO_ORIGIN });
    expect(other.status).toBe(403);
    const serverSide = app().request('/v1/collect', {
      method: 'POST',
      body: JSON.stringify({ site: 'demo', sentAt: Date.now(), events: [makeEvent()] }),
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15' },
    });
    expect((await serverSide).status).toBe(200);
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      app().request('/v1/collect', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
    const allowed = await preflight(DEMO_ORIGIN);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DEMO_ORIGIN);
    const denied = await preflight('https://evil.example');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postBatch(app(), { events: [makeEvent()] });
    expect(post.headers.get('access-control-allow-origin')).toBe(DEMO_ORIGIN);
    expect(post.headers.get('vary')).toBe('Origin');
    // The script reads a 429's or 503's Retry-After for its backoff: hidden from it unless exposed.
    expect(post.headers.get('access-control-expose-headers')).toBe('Retry-After');
    // An error answer is readable by the page too, so the script can see why.
    const bad = await postBatch(app(), { events: 'none' as never });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(DEMO_ORIGIN);
    // Another origin's beacon is refused, readably: a script that could not read the 403 would
    // take it for a network error and retry for ever. The answer says what to change.
    const visitorId = 'v_' + newId();
    const foreign = await postBatch(app(), { events: [makeEvent({ visitorId })] }, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBe('https://evil.example');
    expect(foreign.headers.get('vary')).toBe('Origin');
    expect((await foreign.json()).error.message).toBe('origin https://evil.example is not allowed for site "demo": add it to the site\'s allowedOrigins in the config file');
    expect((await getWithKey(app(), `/v1/visitors/${visitorId}`)).status).toBe(404);
  });

  it('ignores crawlers and headless browsers without storing them', async () => {
    const visitorId = 'v_' + newId();
    const res = await postBatch(app(), { events: [makeEvent({ visitorId })] }, { 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 0, ignored: 1 });
    expect(Number(await countEvents(visitorId))).toBe(0);
  });

  it('never stores the sender IP address', async () => {
    const event = makeEvent();
    await postBatch(app(), { events: [event] }, { 'X-Forwarded-For': '203.0.113.9' });
    const row = await getDb().db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('203.0.113.9');
  });
});

describe('POST /v1/collect without a working store', () => {
  it('answers 503 so the script retries, and does not crash', async () => {
    const { openDatabase } = await import('../db/openDatabase.js');
    const { db } = openDatabase('sqlite::memory:'); // never migrated: inserts fail
    const res = await postBatch(testApp(db), { events: [makeEvent()] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    await db.destroy();
  });
});
