import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SCORING, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp, testConfig } from '../../../test/support/ingest.js';
import { createApp } from '../app.js';
import { parseConfig } from '../config/loadConfig.js';
import type { TrackedEvent } from '../../../shared/src/types.js';

const DAY = 86_400_000;

describeEachDialect('lead scoring', (getDb) => {
  const at = (now: number) => testApp(getDb().db, () => now);
  const send = (now: number, events: TrackedEvent[]) => postBatch(at(now), { site: 'scored', sentAt: now, events });
  const json = async (res: Response | Promise<Response>) => (await res).json();
  // Session ids are per visitor: 's1' of one visitor is not 's1' of another.
  const sid = (visitorId: string, s: string) => `${s}-${visitorId}`;
  const page = (visitorId: string, s: string, ts: number, path = '/', visit = 1) => makeEvent({ visitorId, sessionId: sid(visitorId, s), ts, path, url: `${DEMO_ORIGIN}${path}`, visit });
  const form = (visitorId: string, s: string, ts: number, name: string, traits: Record<string, string>) =>
    makeEvent({ visitorId, sessionId: sid(visitorId, s), ts, type: 'form', name, traits, url: `${DEMO_ORIGIN}/form` });
  const download = (visitorId: string, s: string, ts: number, name: string) => makeEvent({ visitorId, sessionId: sid(visitorId, s), ts, type: 'download', name });

  it('scores anonymous visitors, and counts their history for the lead when a form gives an email', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 3 * DAY;
    await send(t0 + 1000, [page(v, 's1', t0), page(v, 's1', t0 + 1000, '/pricing')]);
    const anonymous = await json(getWithKey(at(t0 + 2000), `/v1/visitors/${v}`));
    expect(anonymous).toMatchObject({ leadId: null, score: { engagement: 9 } });

    await send(t0 + 5000, [form(v, 's1', t0 + 5000, 'newsletter', { email: ' Ana@Fernhill.example ' })]);
    const visitor = await json(getWithKey(at(t0 + 6000), `/v1/visitors/${v}`));
    expect(visitor.leadId).toMatch(/^ld_/);
    const lead = await json(getWithKey(at(t0 + 6000), `/v1/leads/${visitor.leadId}`));
    expect(lead).toMatchObject({ email: 'ana@fernhill.example', stage: 'lead', visitorIds: [v], visits: 1, score: { engagement: 9, fit: 0, total: 9 } });
    expect(lead.stageHistory).toMatchObject([{ from: 'visitor', to: 'lead', cause: 'form:newsletter', source: 'scoring' }]);
    const byEmail = await json(getWithKey(at(t0 + 6000), `/v1/leads?email=ANA@fernhill.example`));
    expect(byEmail.leads.map((l: any) => l.id)).toEqual([lead.id]);
  });

  it('moves a lead to MQL when both thresholds pass, records why with the scores, and does not fire again', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - DAY;
    await send(t0, [form(v, 's1', t0, 'contact', { email: `cfo-${newId()}@fernhill.example`, jobTitle: 'CFO' })]);
    await send(t0 + 3000, [page(v, 's1', t0 + 1000, '/pricing'), download(v, 's1', t0 + 2000, 'a.pdf')]);
    const { leadId } = await json(getWithKey(at(t0 + 4000), `/v1/visitors/${v}`));
    let lead = await json(getWithKey(at(t0 + 4000), `/v1/leads/${leadId}`));
    expect(lead.stage).toBe('mql');
    const mql = lead.stageHistory.find((c: any) => c.to === 'mql');
    expect(mql).toMatchObject({ from: 'lead', cause: 'threshold:mql', scores: { engagement: 17 + 0, fit: 15 } });
    // Crossed by the download at t0 + 2000, which leadbeam received at t0 + 3000: sales could be told then.
    expect(mql.at).toBe(new Date(t0 + 3000).toISOString());
    // More engagement: still one MQL transition.
    await send(t0 + 9000, [page(v, 's1', t0 + 8000, '/pricing'), download(v, 's1', t0 + 8500, 'b.pdf')]);
    lead = await json(getWithKey(at(t0 + 9000), `/v1/leads/${leadId}`));
    expect(lead.stageHistory.filter((c: any) => c.to === 'mql')).toHaveLength(1);
  });

  it('dates an MQL no earlier than leadbeam could tell sales: a form after a long anonymous history, and new rules published later', async () => {
    // Engagement alone qualifies here, so a browser's anonymous history can cross the bar before anyone gave an email.
    const engagementOnly = parseConfig({ sites: testConfig.sites.map((s) => (s.key === 'scored' ? { ...s, scoring: { ...TEST_SCORING, thresholds: { mql: { engagement: 15, fit: 0 } } } } : s)) }, 'engagement only');
    const appAt = (now: number) => createApp({ db: getDb().db, config: engagementOnly, secretKey: TEST_SECRET_KEY, now: () => now });
    const v = 'v_' + newId();
    const t0 = Date.now() - 3 * DAY;
    await postBatch(appAt(t0 + 3000), { site: 'scored', sentAt: t0 + 3000, events: [page(v, 's1', t0, '/pricing'), download(v, 's1', t0 + 1000, 'a.pdf'), download(v, 's1', t0 + 2000, 'b.pdf')] });
    // Two days later the browser fills a form: the lead is made now and qualifies when the form arrives.
    const formAt = t0 + 2 * DAY;
    const email = `eng-${newId()}@fernhill.example`;
    // The script sends the page it was on in the same beacon as the form.
    await postBatch(appAt(formAt + 500), { site: 'scored', sentAt: formAt + 500, events: [page(v, 's2', formAt - 60_000, '/newsletter', 2), form(v, 's2', formAt, 'newsletter', { email })] });
    const lead = (await json(getWithKey(appAt(formAt + 1000), `/v1/leads?email=${email}`))).leads[0];
    expect(lead.stage).toBe('mql');
    expect(lead.stageHistory.map((c: any) => [c.from, c.to, c.at])).toEqual([
      ['visitor', 'lead', new Date(formAt).toISOString()],
      ['lead', 'mql', new Date(formAt + 500).toISOString()],
    ]);

    // Another lead under the site's rules stays a lead; rules published a day later make it an MQL then.
    const w = 'v_' + newId();
    const other = `late-${newId()}@fernhill.example`;
    await send(t0 + 10_000, [form(w, 's1', t0 + 5000, 'newsletter', { email: other }), download(w, 's1', t0 + 6000, 'a.pdf'), download(w, 's1', t0 + 7000, 'b.pdf')]);
    expect((await json(getWithKey(at(t0 + 20_000), `/v1/leads?email=${other}`))).leads[0].stage).toBe('lead');
    const publishedAt = t0 + DAY;
    const report = await json(appAt(publishedAt).request('/v1/admin/rescore', { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } }));
    const moved = (await json(getWithKey(appAt(publishedAt), `/v1/leads?email=${other}`))).leads[0];
    expect(report.movedLeads).toContainEqual({ id: moved.id, from: 'lead', to: 'mql' });
    const mql = (await json(getWithKey(appAt(publishedAt), `/v1/leads/${moved.id}`))).stageHistory.find((c: any) => c.to === 'mql');
    expect(mql.at).toBe(new Date(publishedAt).toISOString());
    // With the scores sales sees then (a day of decay), not those of the download a day before.
    expect(mql.scores.engagement).toBeLessThan(15 + 2 * 10);
    expect(mql.scores.engagement).toBe(moved.score.engagement);
  });

  it('qualifies a hand-raiser at once, whatever the score', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 1000;
    await send(t0, [form(v, 's1', t0, 'demo-request', { email: `bo-${newId()}@gmail.com` })]);
    const { leadId } = await json(getWithKey(at(t0 + 10), `/v1/visitors/${v}`));
    const lead = await json(getWithKey(at(t0 + 10), `/v1/leads/${leadId}`));
    expect(lead.stage).toBe('sql');
    expect(lead.score.fit).toBe(-10);
    expect(lead.stageHistory.map((c: any) => [c.from, c.to, c.cause])).toEqual([
      ['visitor', 'lead', 'form:demo-request'],
      ['lead', 'sql', 'rule:demo-request'],
    ]);
  });

  it('explains every point: the items sum exactly to the score, after decay and caps', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 40 * DAY;
    const events = [form(v, 's1', t0, 'contact', { email: `x-${newId()}@fernhill.example`, jobTitle: 'Controller' })];
    for (let i = 0; i < 12; i++) events.push(download(v, 's1', t0 + 1000 + i, `f${i}.pdf`));
    await send(t0 + 5000, events);
    const now = t0 + 40 * DAY;
    const { leadId } = await json(getWithKey(at(now), `/v1/visitors/${v}`));
    const score = await json(getWithKey(at(now), `/v1/leads/${leadId}/score`));
    const lead = await json(getWithKey(at(now), `/v1/leads/${leadId}`));
    const sum = (kind: string) => Math.round(score.items.filter((i: any) => i.kind === kind).reduce((a: number, i: any) => a + i.remaining, 0) * 100) / 100;
    expect(sum('engagement')).toBe(score.engagement);
    expect(sum('fit')).toBe(score.fit);
    expect(score.total).toBe(Math.round((score.engagement + score.fit) * 100) / 100);
    expect(score.items.find((i: any) => i.ruleId === 'cap:engagement')).toBeUndefined(); // 120 points decayed 40 days: under the cap
    expect(score.engagement).toBeCloseTo(120 * 2 ** (-40 / 30), 1);
    expect(lead.score.total).toBe(score.total);
    expect(score.ruleVersion).toMatch(/^r-/);
  });

  it('shows a lead with the score its explanation gives, to the cent, however many decayed items', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 30 * DAY;
    // Two page views a day at odd hours for 20 days: 40 items, each decayed by a different amount.
    const views = Array.from({ length: 40 }, (_, i) => page(v, `s${i}`, t0 + Math.floor(i / 2) * DAY + ((i * 7919) % 997) * 61_000, i % 3 ? '/' : '/pricing'));
    await send(t0 + 21 * DAY, [...views, form(v, 's39', t0 + 21 * DAY, 'contact', { email: `cents-${newId()}@fernhill.example`, jobTitle: 'CFO' })]);
    const { leadId } = await json(getWithKey(at(t0 + 22 * DAY), `/v1/visitors/${v}`));
    for (const now of [t0 + 22 * DAY, t0 + 25 * DAY + 12_345_678, t0 + 30 * DAY - 1]) {
      const lead = await json(getWithKey(at(now), `/v1/leads/${leadId}`));
      const score = await json(getWithKey(at(now), `/v1/leads/${leadId}/score`));
      expect(lead.score).toEqual({ engagement: score.engagement, fit: score.fit, total: score.total });
      const sum = (kind: string) => Math.round(score.items.filter((i: any) => i.kind === kind).reduce((a: number, i: any) => a + i.remaining, 0) * 100) / 100;
      expect([sum('engagement'), sum('fit')]).toEqual([score.engagement, score.fit]);
    }
  });

  it('lists leads by stage, minimum score and update time, page by page', async () => {
    const t0 = Date.now() - 1000;
    const tag = newId();
    for (let i = 0; i < 5; i++) {
      const v = 'v_' + newId();
      await send(t0 + i, [form(v, 's1', t0 + i, i % 2 ? 'demo-request' : 'contact', { email: `list-${tag}-${i}@fernhill.example` })]);
    }
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const body: any = await json(getWithKey(at(t0 + 100), `/v1/leads?site=scored&updatedSince=${new Date(t0 - 1).toISOString()}&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      seen.push(...body.leads);
      cursor = body.nextCursor;
    } while (cursor);
    const mine = seen.filter((l) => l.email.startsWith(`list-${tag}`));
    expect(mine).toHaveLength(5);
    const sqls = await json(getWithKey(at(t0 + 100), `/v1/leads?site=scored&stage=sql&minScore=20`));
    expect(sqls.leads.filter((l: any) => l.email.startsWith(`list-${tag}`))).toHaveLength(2);
    expect((await getWithKey(at(t0), '/v1/leads?minScore=lots')).status).toBe(400);
    expect((await getWithKey(at(t0), '/v1/leads', null)).status).toBe(401);
  });

  it('rescores every lead when the rules change and reports who moved, up and down', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 1000;
    const email = `rescore-${newId()}@fernhill.example`;
    await send(t0, [form(v, 's1', t0, 'contact', { email, jobTitle: 'CFO' }), page(v, 's1', t0 + 1, '/pricing'), download(v, 's1', t0 + 2, 'a.pdf')]);
    const before = (await json(getWithKey(at(t0 + 10), `/v1/leads?email=${email}`))).leads[0];
    expect(before.stage).toBe('mql');
    // Marketing raises the bar: the lead no longer qualifies.
    const stricter = parseConfig(
      { sites: testConfig.sites.map((s) => (s.key === 'scored' ? { ...s, scoring: { ...TEST_SCORING, thresholds: { mql: { engagement: 90, fit: 10 } } } } : s)) },
      'stricter',
    );
    const app = createApp({ db: getDb().db, config: stricter, secretKey: TEST_SECRET_KEY, now: () => t0 + 20 });
    const report = await json(app.request('/v1/admin/rescore', { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } }));
    expect(report.stageChanges.down).toBeGreaterThanOrEqual(1);
    expect(report.movedLeads).toContainEqual({ id: before.id, from: 'mql', to: 'lead' });
    const after = await json(app.request(`/v1/leads/${before.id}`, { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } }));
    expect(after.stage).toBe('lead');
    expect(after.ruleVersion).not.toBe(before.ruleVersion);
    expect(after.stageHistory.at(-1)).toMatchObject({ from: 'mql', to: 'lead', source: 'rescore' });
  });

  it('incremental scoring equals a full replay: scores always, stages when events arrive in order; never a lower stage (property)', async () => {
    const paths = ['/', '/pricing', '/careers/jobs', '/blog/a'];
    const eventArb = fc.record({
      kind: fc.constantFrom('page', 'page', 'page', 'download', 'form', 'demo'),
      path: fc.constantFrom(...paths),
      // At most 14 steps of 2 days, sent a day after the last: inside the 30-day window of accepted event times.
      dt: fc.integer({ min: 0, max: 2 * DAY }),
      device: fc.constantFrom(0, 1),
      newVisit: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), async (steps, batches, inOrder) => {
        const email = `prop-${newId()}@fernhill.example`;
        const visitors = ['v_' + newId(), 'v_' + newId()];
        let ts = Date.now() - 10 * DAY;
        const visits = [1, 1];
        const events: TrackedEvent[] = steps.map((s, i) => {
          ts += s.dt;
          if (s.newVisit) visits[s.device]! += 1;
          const base = { visitorId: visitors[s.device]!, sessionId: `session-${s.device}-${visits[s.device]}-${visitors[s.device]}`, ts, visit: visits[s.device]!, url: `${DEMO_ORIGIN}${s.path}`, path: s.path };
          if (s.kind === 'download') return makeEvent({ ...base, type: 'download', name: `f${i}.pdf` });
          if (s.kind === 'form' || s.kind === 'demo') return makeEvent({ ...base, type: 'form', name: s.kind === 'demo' ? 'demo-request' : 'contact', traits: { email, jobTitle: i % 2 ? 'CFO' : 'Engineer' } });
          return makeEvent(base);
        });
        // Deliver in time order, or shuffled (later events may arrive first, as from an offline queue).
        const shuffled = inOrder ? events : [...events].sort((a, b) => (a.id < b.id ? -1 : 1));
        const size = Math.ceil(shuffled.length / batches);
        for (let i = 0; i < shuffled.length; i += size) await send(ts + DAY, shuffled.slice(i, i + size));
        const leads = (await json(getWithKey(at(ts + DAY), `/v1/leads?email=${email}`))).leads;
        if (!events.some((e) => e.type === 'form')) {
          expect(leads).toEqual([]);
          return;
        }
        const incremental = leads[0];
        const incrementalScore = await json(getWithKey(at(ts + DAY), `/v1/leads/${incremental.id}/score`));
        // A full replay from the stored events (what a rescore does).
        await at(ts + DAY).request(`/v1/admin/rescore?lead=${incremental.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
        const replayed = await json(getWithKey(at(ts + DAY), `/v1/leads/${incremental.id}`));
        const replayedScore = await json(getWithKey(at(ts + DAY), `/v1/leads/${incremental.id}/score`));
        expect(replayed.score).toEqual(incremental.score);
        expect(replayedScore.items).toEqual(incrementalScore.items);
        const rank = (stage: string) => ['lead', 'mql', 'sql'].indexOf(stage);
        const replayStage = replayed.stageHistory.find((c: any) => c.source === 'rescore')?.to ?? replayed.stage;
        if (inOrder) {
          expect(replayed.stage).toBe(incremental.stage);
          expect(replayed.stageHistory.filter((c: any) => c.source === 'rescore')).toEqual([]);
        } else {
          // Scoring moves leads forward only: a late event never takes a stage back.
          expect(rank(incremental.stage)).toBeGreaterThanOrEqual(rank(replayStage));
        }
      }),
      { numRuns: 40 },
    );
  }, 180_000);
});
