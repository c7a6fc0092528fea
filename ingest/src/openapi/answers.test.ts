import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { createApp } from '../app.js';
import { openDatabase } from '../db/openDatabase.js';
import { MAX_FAILED_KEY_CHECKS } from '../auth/keyGuesses.js';
import { createKeyStore } from '../keys/keyStore.js';
import { documentedAnswerCheck, type OpenApiDocument } from './documentedAnswer.fixture.js';
import { EVENT_WRITING_TAGS } from './pipelineAnswers.js';

const DAY = 86_400_000;

/**
 * Real answers, checked against the OpenAPI document that clients are generated from: each
 * status is documented for its operation, each body validates against that answer's schema
 * with every field it sends named there (`documentedAnswerCheck`), and each `Retry-After` or
 * `WWW-Authenticate` sent is a documented header. openapi.test.ts checks the document itself.
 */
describeEachDialect('answers as the OpenAPI document describes them', (getDb) => {
  const t0 = Date.now() - 20 * DAY;
  // Three page views of 2 points decayed to ⅔ each (log2(1.5) half-lives later): 1.33 shown for
  // each, 4 for the score, so a rounding line makes up the 0.01.
  const at = t0 + Math.round(Math.log2(1.5) * 30 * DAY);
  const app = (now = () => at) => createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, now, allowPrivateWebhooks: true });
  const auth = (key = TEST_SECRET_KEY) => ({ Authorization: `Bearer ${key}` });
  const call = (path: string, init: RequestInit = {}, now?: () => number) => app(now).request(path, { ...init, headers: { ...auth(), ...init.headers } });
  const problemsOf = async () => documentedAnswerCheck((await (await app().request('/openapi.json')).json()) as OpenApiDocument);

  /** A scored lead: three page views on one day, then a form with an email and a job title that fits. */
  const makeLead = async () => {
    const visitorId = 'v_' + newId();
    const event = (overrides: Partial<TrackedEvent>) => makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts: t0, ...overrides });
    const email = `answers-${newId()}@fernhill.example`;
    const sent = await postBatch(app(() => t0 + 1000), {
      site: 'scored',
      sentAt: t0 + 1000,
      events: [event({}), event({ path: '/a', url: `${DEMO_ORIGIN}/a` }), event({ path: '/b', url: `${DEMO_ORIGIN}/b` }), event({ ts: t0 + 500, type: 'form', name: 'contact', traits: { email, jobTitle: 'Controller' }, url: `${DEMO_ORIGIN}/contact` })],
    });
    expect(sent.status).toBe(200);
    const { leads } = (await (await call(`/v1/leads?email=${encodeURIComponent(email)}`)).json()) as { leads: Array<{ id: string }> };
    return { visitorId, leadId: leads[0]!.id };
  };

  it('GET /v1/leads/{id}/score: its engagement, fit and rounding items, every field named, eventId and ts null where they are', async () => {
    const check = await problemsOf();
    const { leadId } = await makeLead();
    const res = await call(`/v1/leads/${leadId}/score`);
    expect(res.status).toBe(200);
    const score = (await res.clone().json()) as { items: Array<Record<string, unknown>> };
    // The answer holds each kind of item the schema must describe.
    expect(score.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'engagement', ruleId: 'page-view', eventId: expect.any(String), ts: new Date(t0).toISOString(), points: 2, remaining: 1.33 }),
        { kind: 'engagement', ruleId: 'rounding:engagement', eventId: null, ts: null, points: 0, remaining: 0.01 },
        { kind: 'fit', ruleId: 'finance', eventId: null, ts: null, points: 15, remaining: 15 },
      ]),
    );
    expect(await check('GET', '/v1/leads/{id}/score', res)).toEqual([]);
  });

  it('declares every field of the score answer required, and null only where it is sent', async () => {
    const doc = (await (await app().request('/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: any }> }> }>> };
    const schema = doc.paths['/v1/leads/{id}/score']!.get!.responses['200']!.content['application/json']!.schema;
    expect([...schema.required].sort()).toEqual(['at', 'engagement', 'fit', 'items', 'leadId', 'ruleVersion', 'total']);
    const item = schema.properties.items.items;
    expect([...item.required].sort()).toEqual(['eventId', 'kind', 'points', 'remaining', 'ruleId', 'ts']);
    expect(item.properties.eventId.type).toEqual(['string', 'null']);
    expect(item.properties.ts.type).toEqual(['string', 'null']);
    expect(item.properties.kind.enum).toEqual(['engagement', 'fit']);
  });

  it('every answer of POST /v1/collect is documented, the 503 of a store that fails with its Retry-After included', async () => {
    const check = await problemsOf();
    // Each site may send once a minute: the second batch of a site is answered 429.
    const limited = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, limits: { perAddressPerMinute: 0, perSitePerMinute: 1, trustedProxies: [] } });
    const { db: unmigrated } = openDatabase('sqlite::memory:'); // never migrated: every commit fails
    try {
      const broken = createApp({ db: unmigrated, config: testConfig, secretKey: TEST_SECRET_KEY });
      const answers: Array<[status: number, res: Response]> = [
        [200, await postBatch(app(Date.now), { events: [makeEvent()] })],
        [202, await postBatch(app(Date.now), { events: [makeEvent()] }, { 'User-Agent': 'curl/8.5.0' })],
        [400, await postBatch(app(Date.now), '{"site": ')],
        [400, await postBatch(app(Date.now), { events: [{ ...makeEvent(), id: 'not an id!' }] })],
        [403, await postBatch(app(Date.now), { events: [makeEvent()] }, { Origin: 'https://evil.example' })],
        [404, await postBatch(app(Date.now), { site: 'nope', events: [makeEvent()] })],
        [413, await postBatch(app(Date.now), 'x'.repeat(600 * 1024))],
        [200, await postBatch(limited, { site: 'other', events: [makeEvent({ url: 'https://other.example/' })] }, { Origin: 'https://other.example' })],
        [429, await postBatch(limited, { site: 'other', events: [makeEvent({ url: 'https://other.example/' })] }, { Origin: 'https://other.example' })],
        [503, await postBatch(broken, { events: [makeEvent()] })],
      ];
      const problems: string[] = [];
      for (const [status, res] of answers) {
        expect(res.status, `an answer of ${status}`).toBe(status);
        problems.push(...(await check('POST', '/v1/collect', res)));
      }
      expect(answers.at(-1)![1].headers.get('retry-after')).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    } finally {
      await unmigrated.destroy();
    }
  });

  it('a Segment call whose store fails answers 503 with Retry-After, as documented; so may every operation that writes events', async () => {
    const check = await problemsOf();
    const { db: unmigrated } = openDatabase('sqlite::memory:');
    try {
      const broken = createApp({ db: unmigrated, config: testConfig, secretKey: TEST_SECRET_KEY });
      const res = await broken.request('/v1/track', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('demo:').toString('base64')}` },
        body: JSON.stringify({ anonymousId: newId(), event: 'Trial Started' }),
      });
      expect(res.status).toBe(503);
      expect(await check('POST', '/v1/track', res)).toEqual([]);
    } finally {
      await unmigrated.destroy();
    }
    const doc = (await (await app().request('/openapi.json')).json()) as { paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>> };
    const writing = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([, op]) => op.tags?.some((t) => EVENT_WRITING_TAGS.includes(t))).map(([method, op]) => [`${method} ${path}`, op] as const));
    expect(writing.map(([where]) => where)).toEqual(expect.arrayContaining(['post /v1/collect', 'post /v1/batch', 'post /v1/track', 'post /v1/identify']));
    for (const [where, op] of writing) expect(op.responses['503'], where).toEqual({ $ref: '#/components/responses/Unavailable' });
    // Every keyed operation reads the database, and answers 503 while it is away (db/outage.test.ts).
    const keyed = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([, op]) => (op as { security?: Array<Record<string, unknown>> }).security?.some((s) => 'secretKey' in s)).map(([method, op]) => [`${method} ${path}`, op] as const));
    expect(keyed.length).toBeGreaterThan(20);
    for (const [where, op] of keyed) expect(op.responses['503'], where).toBeDefined();
  });

  it('every operation that checks a key answers 429 with Retry-After, as documented, once its address has sent too many wrong keys', async () => {
    const check = await problemsOf();
    const doc = (await (await app().request('/openapi.json')).json()) as OpenApiDocument & { paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>> };
    // One app, so one count; in-process requests all come from the same (socketless) client.
    const guessed = app(Date.now);
    for (let i = 0; i < MAX_FAILED_KEY_CHECKS; i++) {
      expect((await guessed.request('/v1/leads', { headers: auth(`sk_guess_${String(i).padStart(16, '0')}`) })).status).toBe(401);
    }
    const problems: string[] = [];
    let keyed = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.security?.some((s) => 'secretKey' in s || 'writeKey' in s)) continue;
        keyed++;
        // The right key: refused unchecked all the same.
        const res = await guessed.request(path.replace(/\{\w+\}/g, 'no-such-id'), {
          method: method.toUpperCase(),
          headers: { ...auth(), 'Content-Type': 'application/json' },
          ...(method !== 'get' && method !== 'delete' && { body: JSON.stringify({ anonymousId: 'a-1', event: 'E', context: { site: 'scored' }, batch: [] }) }),
        });
        expect(res.status, `${method.toUpperCase()} ${path}`).toBe(429);
        expect(res.headers.get('retry-after'), `${method.toUpperCase()} ${path}`).toMatch(/^[1-9]\d*$/);
        problems.push(...(await check(method.toUpperCase(), path, res)));
      }
    }
    expect(keyed).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('every keyed GET answers as documented: found, not found, without a key and with too small a one', async () => {
    const check = await problemsOf();
    const { visitorId, leadId } = await makeLead();
    // A webhook registered before the lead's next stage change, so its log holds a delivery.
    const hook = await call('/v1/webhooks', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['lead.sql'] }) });
    expect(await check('POST', '/v1/webhooks', hook)).toEqual([]);
    const { id: hookId } = (await hook.json()) as { id: string };
    const feedback = await call(`/v1/leads/${leadId}/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'accepted' }) });
    expect(feedback.status).toBe(200);
    const readKey = (await createKeyStore({ db: getDb().db }).create({ name: `answers-${newId()}`, scopes: ['read'] })).key;

    const answers: Array<[path: string, url: string, status: number, init?: RequestInit]> = [
      ['/v1/visitors/{visitorId}', `/v1/visitors/${visitorId}`, 200],
      ['/v1/visitors/{visitorId}', '/v1/visitors/v_nobody', 404],
      ['/v1/visitors/{visitorId}/events', `/v1/visitors/${visitorId}/events?limit=2`, 200],
      ['/v1/visitors/{visitorId}/events', '/v1/visitors/v_nobody/events', 404],
      ['/v1/leads', '/v1/leads?site=scored&limit=1', 200],
      ['/v1/leads', '/v1/leads?cursor=nonsense', 400],
      ['/v1/leads/{id}', `/v1/leads/${leadId}`, 200],
      ['/v1/leads/{id}', '/v1/leads/ld_nobody', 404],
      ['/v1/leads/{id}/score', '/v1/leads/ld_nobody/score', 404],
      ['/v1/leads/{id}/export', `/v1/leads/${leadId}/export`, 200],
      ['/v1/leads/{id}/export', '/v1/leads/ld_nobody/export', 404],
      ['/v1/webhooks', '/v1/webhooks', 200],
      ['/v1/webhooks/{id}/deliveries', `/v1/webhooks/${hookId}/deliveries`, 200],
      ['/v1/webhooks/{id}/deliveries', '/v1/webhooks/wh_nobody/deliveries', 404],
      ['/v1/reports/speed-to-lead', '/v1/reports/speed-to-lead?site=scored', 200],
      ['/v1/reports/follow-up', '/v1/reports/follow-up?site=scored', 200],
      ['/v1/reports/weekly-evaluation', '/v1/reports/weekly-evaluation?site=scored', 200],
      ['/v1/scoring/rulesets', '/v1/scoring/rulesets?site=scored', 200],
      ['/v1/scoring/rule-hits', '/v1/scoring/rule-hits?site=scored', 200],
      ['/v1/keys', '/v1/keys', 200],
      ['/v1/leads/{id}', `/v1/leads/${leadId}`, 401, { headers: { Authorization: '' } }],
      ['/v1/keys', '/v1/keys', 403, { headers: auth(readKey) }],
    ];
    const problems: string[] = [];
    for (const [path, url, status, init] of answers) {
      const res = await call(url, init);
      expect(res.status, `GET ${url}`).toBe(status);
      problems.push(...(await check('GET', path, res)));
    }
    expect(problems).toEqual([]);
    // The delivery log was not empty: its items were checked too.
    expect(((await (await call(`/v1/webhooks/${hookId}/deliveries`)).json()) as { deliveries: unknown[] }).deliveries.length).toBeGreaterThan(0);
  });
});
