import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { createApp, createScorers } from '../app.js';
import { INLINE_REPLAY_MAX_EVENTS } from '../pipeline/scoreSiteEvents.js';
import { createReplayWorker } from './createReplayWorker.js';

describeEachDialect('late events for long histories', (getDb) => {
  const json = async (res: Response | Promise<Response>) => (await res).json();

  it(`replays a subject with more than ${INLINE_REPLAY_MAX_EVENTS} events off the request path, coalesced, and ends exactly where a full replay does`, async () => {
    const T = Date.now();
    const replayer = createReplayWorker({ db: getDb().db, scorers: createScorers(testConfig), now: () => T, pollMs: 60_000 });
    // The app is not given the worker (so nothing kicks it): what the requests did is all the requests did.
    const app = createApp({ db: getDb().db, config: testConfig, secretKey: TEST_SECRET_KEY, now: () => T });
    const v = 'v_' + newId();
    const email = `late-${newId()}@fernhill.example`;
    const page = (ts: number, path: string, session = 's1') => makeEvent({ visitorId: v, sessionId: `${session}-${v}`, ts, path, url: `${DEMO_ORIGIN}${path}` });
    await postBatch(app, { site: 'scored', sentAt: T, events: [makeEvent({ visitorId: v, sessionId: `s1-${v}`, ts: T - 10 * 3_600_000, type: 'form', name: 'contact', traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/contact` })] });
    // A long, in-order history: scored incrementally, nothing queued.
    const history = Array.from({ length: 2 * INLINE_REPLAY_MAX_EVENTS }, (_, i) => page(T - 9 * 3_600_000 + i * 60_000, i % 10 ? '/' : '/pricing', `s${Math.floor(i / 50)}`));
    for (let i = 0; i < history.length; i += 200) expect((await postBatch(app, { site: 'scored', sentAt: T, events: history.slice(i, i + 200) })).status).toBe(200);
    expect(await getDb().db.selectFrom('replay_queue').selectAll().execute()).toEqual([]);

    // Three events an hour late, in separate requests: each answered at once, one replay queued per subject.
    const late = [0, 1, 2].map((i) => page(T - 9.5 * 3_600_000 + i, '/pricing', 'late'));
    for (const e of late) expect((await postBatch(app, { site: 'scored', sentAt: T, events: [e] })).status).toBe(200);
    // Not yet counted: the request did not replay 400 events.
    expect((await json(getWithKey(app, `/v1/leads/${(await json(getWithKey(app, `/v1/visitors/${v}`))).leadId}/score`))).items.map((i: any) => i.eventId)).not.toContain(late[0]!.id);
    const queued = await getDb().db.selectFrom('replay_queue').select(['kind', 'subject_id']).execute();
    const { leadId } = await json(getWithKey(app, `/v1/visitors/${v}`));
    expect(queued.map((q) => [q.kind, q.subject_id]).sort()).toEqual([['lead', leadId], ['visitor', v]].sort());

    await replayer.drain();
    expect(await getDb().db.selectFrom('replay_queue').selectAll().execute()).toEqual([]);
    const replayed = await json(getWithKey(app, `/v1/leads/${leadId}/score`));
    // The first late page view (on the pricing page, in a visit of its own) counts now.
    expect(replayed.items.filter((i: any) => i.eventId === late[0]!.id).map((i: any) => i.ruleId).sort()).toEqual(['page-view', 'pricing']);
    // A full rescore from the stored events changes nothing.
    await app.request(`/v1/admin/rescore?lead=${leadId}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    const rescored = await json(getWithKey(app, `/v1/leads/${leadId}/score`));
    expect(rescored.items).toEqual(replayed.items);
    expect(rescored.engagement).toBe(replayed.engagement);
    // The visitor's own score was replayed too: its only browser, so the same engagement as its lead.
    const visitor = await json(getWithKey(app, `/v1/visitors/${v}`));
    const lead = await json(getWithKey(app, `/v1/leads/${leadId}`));
    expect(visitor.score.engagement).toBe(lead.score.engagement);
  }, 60_000);
});
