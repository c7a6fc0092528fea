import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { getWithKey, makeEvent, newId, postBatch, testApp } from '../../../test/support/ingest.js';

describeEachDialect('visitor lookups', (getDb) => {
  const app = () => testApp(getDb().db);

  it('needs the secret key: none, a wrong one or a site key get 401', async () => {
    const visitorId = 'v_' + newId();
    await postBatch(app(), { events: [makeEvent({ visitorId })] });
    for (const key of [null, 'wrong-key-of-some-length', 'demo']) {
      for (const path of [`/v1/visitors/${visitorId}`, `/v1/visitors/${visitorId}/events`]) {
        const res = await getWithKey(app(), path, key);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        const { error } = await res.json();
        expect(error).toMatchObject({ code: 'unauthorized', field: 'authorization' });
        expect(error.message).toMatch(/^authorization:/);
      }
    }
    expect((await getWithKey(app(), `/v1/visitors/${visitorId}`)).status).toBe(200);
  });

  it('returns first and last seen, visits and page views per funnel stage', async () => {
    const visitorId = 'v_' + newId();
    const t0 = Date.now() - 3_600_000;
    const events = [
      makeEvent({ visitorId, path: '/blog/a', ts: t0, visit: 1 }),
      makeEvent({ visitorId, path: '/blog/b', ts: t0 + 1000, visit: 1 }),
      makeEvent({ visitorId, path: '/guides/x', ts: t0 + 2000, visit: 1 }),
      makeEvent({ visitorId, path: '/pricing', ts: t0 + 3000, visit: 2 }),
      makeEvent({ visitorId, path: '/about', ts: t0 + 4000, visit: 2 }),
      makeEvent({ visitorId, type: 'track', name: 'cta', path: '/pricing', ts: t0 + 5000, visit: 2 }),
    ];
    // Two batches, the later one first: the rollup must not depend on arrival order.
    const sentAt = t0 + 5000;
    await postBatch(testApp(getDb().db, () => sentAt), { sentAt, events: events.slice(3) });
    await postBatch(testApp(getDb().db, () => sentAt), { sentAt, events: events.slice(0, 3) });
    const res = await getWithKey(app(), `/v1/visitors/${visitorId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      visitorId,
      site: 'demo',
      firstSeenAt: new Date(t0).toISOString(),
      lastSeenAt: new Date(t0 + 5000).toISOString(),
      visits: 2,
      returning: true,
      events: 6,
      pageviews: 5,
      pageviewsByStage: { top: 2, middle: 1, bottom: 1 },
      score: { engagement: 0 },
      leadId: null,
      ownsLeadTraits: false,
    });
  });

  it('answers 404 for a visitor never seen', async () => {
    const res = await getWithKey(app(), '/v1/visitors/v_never_seen_000');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'visitorId: no visitor "v_never_seen_000"', field: 'visitorId' } });
  });

  it('lists a visitor’s events newest first, page by page', async () => {
    const visitorId = 'v_' + newId();
    const t0 = Date.now() - 60_000;
    // Two events share a timestamp: the cursor must still neither skip nor repeat one.
    const offsets = [0, 1, 2, 2, 3, 4, 5];
    const events = offsets.map((s, i) => makeEvent({ visitorId, path: `/p${i}`, ts: t0 + s * 1000 }));
    await postBatch(testApp(getDb().db, () => t0 + 6000), { sentAt: t0 + 6000, events });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await getWithKey(app(), `/v1/visitors/${visitorId}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      seen.push(...body.events.map((e: { id: string }) => e.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const tsOf = new Map(events.map((e) => [e.id, e.ts]));
    const times = seen.map((id) => tsOf.get(id)!);
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const first = await (await getWithKey(app(), `/v1/visitors/${visitorId}/events?limit=1`)).json();
    expect(first.events[0]).toMatchObject({ path: '/p6', type: 'pageview', visit: 1, firstVisit: true });
  });

  it('rejects a bad limit or cursor naming the parameter', async () => {
    const visitorId = 'v_' + newId();
    await postBatch(app(), { events: [makeEvent({ visitorId })] });
    const badLimit = await getWithKey(app(), `/v1/visitors/${visitorId}/events?limit=0`);
    expect(badLimit.status).toBe(400);
    const limitError = (await badLimit.json()).error;
    expect(limitError).toMatchObject({ code: 'invalid_request', field: 'limit' });
    expect(limitError.message).toMatch(/^limit:/);
    const badCursor = await getWithKey(app(), `/v1/visitors/${visitorId}/events?cursor=zzz`);
    expect(badCursor.status).toBe(400);
    expect(await badCursor.json()).toEqual({ error: { code: 'invalid_request', message: 'cursor: not a cursor this API gave out', field: 'cursor' } });
  });
});
