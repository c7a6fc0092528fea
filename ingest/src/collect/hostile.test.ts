import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';
import { MAX_EVENTS_PER_VISITOR_PER_DAY } from '../pipeline/commitGroup.js';

describeEachDialect('POST /v1/collect with hostile values', (getDb) => {
  const app = (now?: () => number) => testApp(getDb().db, now);
  const stored = async (ids: string[]) => (await getDb().db.selectFrom('events').select('id').where('id', 'in', ids).execute()).map((r) => r.id).sort();

  it('refuses only the event with a NUL character (PostgreSQL cannot store it), keeping the good ones', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    const nulProp = makeEvent({ visitorId, props: { note: 'a\u0000b' } });
    const nulKey = makeEvent({ visitorId, props: { ['k\u0000']: 1 } });
    const nulTitle = makeEvent({ visitorId, title: 'x\u0000' });
    const res = await postBatch(app(), { events: [nulProp, good, nulKey, nulTitle] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: any) => [r.index, r.field])).toEqual([
      [0, 'props.note'],
      [2, 'props.k\\u0000'],
      [3, 'title'],
    ]);
    expect(body.rejected[0].error).toMatch(/NUL character/);
    expect(await stored([good.id, nulProp.id, nulKey.id, nulTitle.id])).toEqual([good.id]);
  });

  it('refuses only the event with a lone UTF-16 surrogate (PostgreSQL cannot store it), naming the field, keeping the good ones', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    const form = { visitorId, type: 'form' as const, name: 'contact' };
    const highTrait = makeEvent({ ...form, traits: { email: 'ana@fernhill.example', company: '\ud800' } });
    const lowProp = makeEvent({ visitorId, props: { note: 'a\udfffb' } });
    const reversedPair = makeEvent({ visitorId, title: 'x\udc00\ud800' });
    const loneKey = makeEvent({ visitorId, props: { ['k\ud83d']: 1 } });
    // A proper pair (an emoji) is text like any other.
    const emoji = makeEvent({ ...form, traits: { email: 'bo@fernhill.example', company: 'Fernhill \ud83d\ude80' } });
    // Sent as JSON text, the way a browser's JSON.stringify escapes a lone surrogate.
    const body = JSON.stringify({ site: 'demo', sentAt: Date.now(), events: [highTrait, good, lowProp, reversedPair, loneKey, emoji] });
    expect(body).toContain('"company":"\\ud800"');
    const res = await postBatch(app(), body);
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r: any) => [r.index, r.field])).toEqual([
      [0, 'traits.company'],
      [2, 'props.note'],
      [3, 'title'],
      [4, 'props.k\\ud83d'],
    ]);
    expect(answer.rejected[0].error).toMatch(/^traits\.company: .*lone UTF-16 surrogate/);
    expect(await stored([good.id, highTrait.id, lowProp.id, reversedPair.id, loneKey.id, emoji.id])).toEqual([good.id, emoji.id].sort());
    const kept = await getDb().db.selectFrom('events').select('traits').where('id', '=', emoji.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(kept.traits)).toContain('Fernhill \ud83d\ude80');
  });

  it('refuses only the event whose visitorId, sessionId or id is a card or social security number, naming the field, and stores none of them', async () => {
    const visitorId = 'v_' + newId();
    const good = makeEvent({ visitorId });
    const cardVisitor = makeEvent({ visitorId: '4111111111111111' });
    const cardSession = makeEvent({ visitorId, sessionId: '5555555555554444' });
    const ssnVisitor = makeEvent({ visitorId: '123-45-6789' });
    const cardId = makeEvent({ visitorId, id: 'e_4111111111111111' });
    // The script's ids (base 36) and ids with a long number that is no card number stay.
    const scriptIds = makeEvent({ visitorId: 'k2j3h4l5m6n7p8q9r0', sessionId: 'x9y8z7w6v5u4t3s2r1' });
    const orderLike = makeEvent({ visitorId: 'v_1234567890123456' });
    const res = await postBatch(app(), { events: [good, cardVisitor, cardSession, ssnVisitor, cardId, scriptIds, orderLike] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(3);
    expect(body.rejected.map((r: any) => [r.index, r.field])).toEqual([
      [1, 'visitorId'],
      [2, 'sessionId'],
      [3, 'visitorId'],
      [4, 'id'],
    ]);
    expect(body.rejected[0].error).toMatch(/^visitorId: .*card or social security number/);
    expect(await stored([good.id, cardVisitor.id, cardSession.id, ssnVisitor.id, cardId.id, scriptIds.id, orderLike.id])).toEqual([good.id, scriptIds.id, orderLike.id].sort());
    const everything = JSON.stringify(await getDb().db.selectFrom('events').selectAll().where('id', 'in', [cardVisitor.id, cardSession.id, ssnVisitor.id, cardId.id]).execute());
    for (const number of ['4111111111111111', '5555555555554444', '123-45-6789']) expect(everything).not.toContain(number);
    expect(await getDb().db.selectFrom('sessions').select('session_id').where('session_id', '=', '5555555555554444').execute()).toEqual([]);
  });

  it("refuses a browser event that names itself as one of the server's visitors (su_, sa_: derived from a Segment userId), keeping the others", async () => {
    const own = makeEvent({ visitorId: 'v_su_' + newId() });
    const asServer = makeEvent({ visitorId: 'su_' + newId() });
    const asAnonymous = makeEvent({ visitorId: 'sa_' + newId() });
    const body = await (await postBatch(app(), { events: [asServer, own, asAnonymous] })).json();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: any) => [r.index, r.field])).toEqual([
      [0, 'visitorId'],
      [2, 'visitorId'],
    ]);
    expect(body.rejected[0].error).toMatch(/^visitorId: ids starting su_, sa_, pu_ or pa_ are the server's/);
    expect(await stored([own.id, asServer.id, asAnonymous.id])).toEqual([own.id]);
  });

  it('stores forms whose name is as long as an event name may be (200 characters) where their name becomes a lead\'s stage cause and trait source', async () => {
    const email = `long-${newId()}@fernhill.example`;
    const visitorId = 'v_' + newId();
    const name = 'n'.repeat(200);
    const view = makeEvent({ visitorId });
    // Makes the lead: its stage change's cause is "form:" and the name.
    const first = makeEvent({ visitorId, type: 'form', name, ts: Date.now() - 2000, traits: { email, company: 'Fernhill' } });
    // Changes a known trait: the trait change's source is "form:" and the name.
    const second = makeEvent({ visitorId, type: 'form', name, ts: Date.now() - 1000, traits: { email, company: 'Fernhill Labs', jobTitle: 'CTO' } });
    const res = await postBatch(app(), { events: [view, first, second] });
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(3);
    expect(await stored([view.id, first.id, second.id])).toEqual([view.id, first.id, second.id].sort());
    const lead = await getDb().db.selectFrom('leads').select(['id', 'traits']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(JSON.parse(lead.traits!)).toMatchObject({ company: 'Fernhill Labs', jobTitle: 'CTO' });
    const causes = await getDb().db.selectFrom('stage_changes').select('cause').where('lead_id', '=', lead.id).execute();
    expect(causes.map((c) => c.cause)).toContain(`form:${name}`);
    const sources = await getDb().db.selectFrom('trait_changes').select('source').where('lead_id', '=', lead.id).where('trait', '=', 'company').execute();
    expect(sources.map((c) => c.source)).toContain(`form:${name}`);
  });

  it('refuses an event nested 5,000 levels deep with a message, not a 500', async () => {
    // Written by hand: serialising 5,000 levels would overflow the test's own stack.
    const deep = '{"d":'.repeat(5000) + '{"end":true}' + '}'.repeat(5000);
    const bad = JSON.stringify(makeEvent({ props: { deep: 0 } })).replace('"deep":0', `"deep":${deep}`);
    const good = makeEvent();
    const res = await postBatch(app(), `{"site":"demo","sentAt":${Date.now()},"events":[${bad},${JSON.stringify(good)}]}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 1, rejected: [{ index: 0, field: expect.stringMatching(/^props\.deep/) }] });
    expect(body.rejected[0].error).toMatch(/nests objects more than \d+ levels/);
  });

  it('refuses events dated outside the window (30 days before the batch left, 5 minutes after), naming ts', async () => {
    const now = Date.now();
    const visitorId = 'v_' + newId();
    const ancient = makeEvent({ visitorId, ts: Date.UTC(1971, 0, 1) });
    const stale = makeEvent({ visitorId, ts: now - 31 * 86_400_000 });
    const future = makeEvent({ visitorId, ts: now + 3_600_000 });
    const fine = makeEvent({ visitorId, ts: now - 29 * 86_400_000 });
    const res = await postBatch(app(() => now), { sentAt: now, events: [ancient, stale, future, fine] });
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r: any) => [r.index, r.field])).toEqual([
      [0, 'ts'],
      [1, 'ts'],
      [2, 'ts'],
    ]);
    expect(body.rejected[0].error).toMatch(/more than 30 days before/);
    expect(body.rejected[2].error).toMatch(/after the batch was sent/);
    expect(await stored([ancient.id, stale.id, future.id, fine.id])).toEqual([fine.id]);
  });

  it(`caps one visitor at ${MAX_EVENTS_PER_VISITOR_PER_DAY} events a day: later ones are refused with a message, retries of stored ones still count as duplicates`, async () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const visitorId = 'v_' + newId();
    const events = Array.from({ length: MAX_EVENTS_PER_VISITOR_PER_DAY }, (_, i) => makeEvent({ visitorId, sessionId: 's_' + visitorId, ts: now - 3_600_000 + i, type: 'engagement' }));
    for (let i = 0; i < events.length; i += 500) {
      const res = await postBatch(app(() => now), { sentAt: now, events: events.slice(i, i + 500) });
      expect((await res.json()).accepted).toBe(500);
    }
    const over = makeEvent({ visitorId, ts: now - 10 });
    const res = await postBatch(app(() => now), { sentAt: now, events: [over] });
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 0, rejected: [{ index: 0, field: 'visitorId' }] });
    expect(body.rejected[0].error).toMatch(/events today/);
    // The next day (UTC) the visitor may send again.
    const tomorrow = now + 86_400_000;
    const next = await postBatch(app(() => tomorrow), { sentAt: tomorrow, events: [{ ...over, ts: tomorrow - 10 }] });
    expect((await next.json()).accepted).toBe(1);
  }, 60_000);
});
