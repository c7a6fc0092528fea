import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testConfig } from '../../../test/support/ingest.js';
import { createApp, createScorers } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import { toJson } from '../db/json.js';
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

  // The demo's hand-raiser and info request, on a site of their own (a form alone never passes the bar).
  const handRaiser = parseConfig(
    {
      sites: [
        {
          key: 'late-forms',
          allowedOrigins: [DEMO_ORIGIN],
          scoring: {
            thresholds: { mql: { engagement: 60, fit: 0 } },
            engagement: [
              { id: 'info-request', match: { type: 'form', name: 'contact*' }, points: 20, limit: 'oncePerVisit' },
              { id: 'demo-request', match: { type: 'form', name: 'demo-request' }, points: 30, limit: 'once', qualifies: 'mql' },
            ],
          },
        },
      ],
    },
    'late forms',
  );
  const DAY = 86_400_000;
  const form = (visitorId: string, ts: number, name: string, email: string) => makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts, type: 'form', name, traits: { email }, url: `${DEMO_ORIGIN}/${name}` });

  it('dates a change a late event causes no earlier than its receipt nor the lead\'s creation: history in order, the webhook agrees, a rescore changes nothing', async () => {
    const db = getDb().db;
    const T = Date.now();
    let clock = T;
    const app = createApp({ db, config: handRaiser, secretKey: TEST_SECRET_KEY, now: () => clock });
    const hookId = 'wh_late_' + newId();
    await db.insertInto('webhooks').values({ id: hookId, site_id: 'late-forms', url: 'http://127.0.0.1:9/hook', secret: 'whsec_test_0123456789abcdef', events: toJson(['lead.mql', 'lead.stage_changed']), created_at: T }).execute();
    try {
      const email = `late-mql-${newId()}@fernhill.example`;
      const [a, b] = ['v_' + newId(), 'v_' + newId()];
      // Browser A's contact form, 10 s old, makes the lead.
      expect((await postBatch(app, { site: 'late-forms', sentAt: T, events: [form(a, T - 10_000, 'contact', email)] })).status).toBe(200);
      // A second later browser B's offline queue sends a demo request from 20 days ago.
      const receivedAt = T + 1000;
      clock = receivedAt;
      const late = form(b, T - 20 * DAY, 'demo-request', email);
      expect((await postBatch(app, { site: 'late-forms', sentAt: receivedAt, events: [late] })).status).toBe(200);
      const stored = await db.selectFrom('events').select(['ts', 'received_at']).where('id', '=', late.id).executeTakeFirstOrThrow();
      expect([Number(stored.ts), Number(stored.received_at)]).toEqual([T - 20 * DAY, receivedAt]);

      const { leads } = await json(getWithKey(app, `/v1/leads?email=${email}`));
      const lead = await json(getWithKey(app, `/v1/leads/${leads[0].id}`));
      expect(lead.stage).toBe('mql');
      expect(lead.stageHistory.map((c: any) => [c.from, c.to, c.cause])).toEqual([
        ['visitor', 'lead', 'form:contact'],
        ['lead', 'mql', 'rule:demo-request'],
      ]);
      const times = lead.stageHistory.map((c: any) => Date.parse(c.at));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      const mql = lead.stageHistory[1];
      // Not 20 days back: when the demo request arrived, after the lead existed.
      expect(Date.parse(mql.at)).toBeGreaterThanOrEqual(Date.parse(lead.createdAt));
      expect(mql.at).toBe(new Date(receivedAt).toISOString());
      // The handover, for speed to lead and the follow-up agreement, starts there too.
      const handover = await db.selectFrom('stage_changes').select(['at', 'handover', 'awaiting']).where('lead_id', '=', lead.id).where('to_stage', '=', 'mql').executeTakeFirstOrThrow();
      expect([Number(handover.at), Number(handover.handover), Number(handover.awaiting)]).toEqual([receivedAt, 1, 1]);
      // So do the webhooks.
      const deliveries = await db.selectFrom('webhook_deliveries').select(['event_type', 'payload']).where('webhook_id', '=', hookId).where('lead_id', '=', lead.id).execute();
      const toMql = deliveries.map((d) => ({ type: d.event_type, change: JSON.parse(d.payload).change })).filter((d) => d.change.to === 'mql');
      expect(toMql.map((d) => [d.type, d.change.at]).sort()).toEqual([
        ['lead.mql', mql.at],
        ['lead.stage_changed', mql.at],
      ]);

      // A full rescore from the stored events afterwards changes nothing.
      const score = await json(getWithKey(app, `/v1/leads/${lead.id}/score`));
      clock = T + 60_000;
      await app.request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
      const rescored = await json(getWithKey(app, `/v1/leads/${lead.id}`));
      expect(rescored.stage).toBe('mql');
      expect(rescored.stageHistory).toEqual(lead.stageHistory);
      expect((await json(getWithKey(app, `/v1/leads/${lead.id}/score`))).items).toEqual(score.items);
    } finally {
      await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', hookId).execute();
      await db.deleteFrom('webhooks').where('id', '=', hookId).execute();
    }
  });

  it('dates a change an old event arriving in order causes at its receipt: the lead had been quiet for longer', async () => {
    const db = getDb().db;
    const T = Date.now();
    let clock = T - 25 * DAY;
    const app = createApp({ db, config: handRaiser, secretKey: TEST_SECRET_KEY, now: () => clock });
    const email = `quiet-${newId()}@fernhill.example`;
    const v = 'v_' + newId();
    expect((await postBatch(app, { site: 'late-forms', sentAt: clock, events: [form(v, clock, 'contact', email)] })).status).toBe(200);
    // 25 days later the same browser's queue sends a demo request from 20 days ago: after the lead's last event, so scored incrementally.
    clock = T;
    expect((await postBatch(app, { site: 'late-forms', sentAt: T, events: [form(v, T - 20 * DAY, 'demo-request', email)] })).status).toBe(200);
    const { leads } = await json(getWithKey(app, `/v1/leads?email=${email}`));
    const lead = await json(getWithKey(app, `/v1/leads/${leads[0].id}`));
    expect(lead.stageHistory.map((c: any) => [c.from, c.to, c.at])).toEqual([
      ['visitor', 'lead', new Date(T - 25 * DAY).toISOString()],
      ['lead', 'mql', new Date(T).toISOString()],
    ]);
    const score = await json(getWithKey(app, `/v1/leads/${lead.id}/score`));
    await app.request(`/v1/admin/rescore?lead=${lead.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await json(getWithKey(app, `/v1/leads/${lead.id}`))).stageHistory).toEqual(lead.stageHistory);
    expect((await json(getWithKey(app, `/v1/leads/${lead.id}/score`))).items).toEqual(score.items);
  });
});
