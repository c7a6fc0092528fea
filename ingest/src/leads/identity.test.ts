import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, getWithKey, makeEvent, newId, postBatch, testApp, testConfig } from '../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../shared/src/types.js';
import { parseConfig } from '../config/loadConfig.js';
import { expireAnonymousVisitors } from '../retention/expireAnonymousVisitors.js';
import { MAX_VISITORS_PER_LEAD } from '../scoring/scoreEvents.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describeEachDialect('identity', (getDb) => {
  const at = (now: number) => testApp(getDb().db, () => now);
  const json = async (res: Response | Promise<Response>) => (await res).json();
  const send = (now: number, events: TrackedEvent[]) => postBatch(at(now), { site: 'scored', sentAt: now, events });
  const view = (visitorId: string, ts: number, visit = 1, path = '/') =>
    makeEvent({ visitorId, sessionId: `s${visit}-${visitorId}`, ts, visit, path, url: `${DEMO_ORIGIN}${path}` });
  const form = (visitorId: string, ts: number, email: string, visit = 1, extra: Record<string, string> = {}) =>
    makeEvent({ visitorId, sessionId: `s${visit}-${visitorId}`, ts, visit, type: 'form', name: 'contact', traits: { email, ...extra }, url: `${DEMO_ORIGIN}/contact` });
  const leadByEmail = async (email: string, now = Date.now()) => (await json(getWithKey(at(now), `/v1/leads?email=${encodeURIComponent(email)}`))).leads[0];

  it('counts the anonymous history at link time exactly as if the email had been known from the start', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 5 * DAY;
    // Two visits (the second a returning one), pricing twice in one visit (once per visit), then the form.
    await send(t0 + 2 * DAY + 2000, [view(v, t0, 1, '/pricing'), view(v, t0 + 1000, 1, '/pricing'), view(v, t0 + 2 * DAY, 2, '/'), view(v, t0 + 2 * DAY + 1000, 2, '/pricing')]);
    const email = `anon-${newId()}@fernhill.example`;
    await send(t0 + 3 * DAY, [form(v, t0 + 3 * DAY, email, 2)]);
    const lead = await leadByEmail(email, t0 + 3 * DAY);
    const visitor = await json(getWithKey(at(t0 + 3 * DAY), `/v1/visitors/${v}`));
    // page-view 2 ×4 (+ the form is not a page view), pricing 5 ×2 (one per visit), returning visit 4: decayed alike.
    expect(lead.score.engagement).toBe(visitor.score.engagement);
    const score = await json(getWithKey(at(t0 + 3 * DAY), `/v1/leads/${lead.id}/score`));
    expect(score.items.filter((i: any) => i.eventId).map((i: any) => i.ruleId).sort()).toEqual(['page-view', 'page-view', 'page-view', 'page-view', 'pricing', 'pricing', 'returning'].sort());
  });

  it('records the visitor → lead entry with the scores of that moment: the anonymous engagement, decayed, and the fit the form gave', async () => {
    const v = 'v_' + newId();
    const t0 = Date.now() - 5 * DAY;
    // page-view 2 + page-view 2 + pricing 5 = 9 points, two days before the form.
    await send(t0 + 1000, [view(v, t0), view(v, t0 + 1000, 1, '/pricing')]);
    const email = `moment-${newId()}@fernhill.example`;
    const formAt = t0 + 2 * DAY;
    // In the same batch as the form, a later page view: not yet part of the moment the lead was made.
    await send(formAt + HOUR, [form(v, formAt, email, 2, { jobTitle: 'Controller' }), view(v, formAt + HOUR, 2)]);
    const lead = await leadByEmail(email, formAt + HOUR);
    // The form opens a returning visit: 4 more points, undecayed.
    const engagement = Math.round((9 * 2 ** (-(formAt - (t0 + 1000)) / (30 * DAY)) + 4) * 100) / 100;
    expect(lead.stageHistory[0]).toMatchObject({ from: 'visitor', to: 'lead', at: new Date(formAt).toISOString(), cause: 'form:contact', scores: { engagement, fit: 15, total: Math.round((engagement + 15) * 100) / 100 } });
    expect(engagement).toBeGreaterThan(12);
  });

  it('links a second device to the same lead: one id, both visitors, one combined score', async () => {
    const [phone, laptop] = ['v_' + newId(), 'v_' + newId()];
    const t0 = Date.now() - 2 * DAY;
    const email = `two-${newId()}@fernhill.example`;
    await send(t0 + 10, [view(phone, t0), form(phone, t0 + 5, email)]);
    const first = await leadByEmail(email);
    await send(t0 + HOUR, [view(laptop, t0 + HOUR - 10, 1, '/pricing'), makeEvent({ visitorId: laptop, sessionId: `s1-${laptop}`, ts: t0 + HOUR, type: 'identify', traits: { email: email.toUpperCase() }, url: `${DEMO_ORIGIN}/` })]);
    const lead = await leadByEmail(email);
    expect(lead.id).toBe(first.id);
    expect(lead.visitorIds.sort()).toEqual([phone, laptop].sort());
    const score = await json(getWithKey(at(t0 + HOUR), `/v1/leads/${lead.id}/score`));
    expect(score.items.filter((i: any) => i.ruleId === 'page-view')).toHaveLength(2);
    expect(score.items.filter((i: any) => i.ruleId === 'pricing')).toHaveLength(1);
  });

  it('a shared computer: email B on a browser linked to A counts for B from then on, A keeps its past, and the switch is recorded', async () => {
    const shared = 'v_' + newId();
    const t0 = Date.now() - DAY;
    const [emailA, emailB] = [`a-${newId()}@fernhill.example`, `b-${newId()}@fernhill.example`];
    await send(t0 + 10, [view(shared, t0, 1, '/pricing'), form(shared, t0 + 5, emailA)]);
    const a = await leadByEmail(emailA);
    await send(t0 + 2 * HOUR, [form(shared, t0 + HOUR, emailB, 2), view(shared, t0 + HOUR + 10, 2, '/pricing')]);
    const [a2, b] = [await leadByEmail(emailA), await leadByEmail(emailB)];
    expect(a2.id).toBe(a.id);
    expect(a2.visitorIds).toEqual([]);
    expect(b.visitorIds).toEqual([shared]);
    const scoreA = await json(getWithKey(at(t0 + 2 * HOUR), `/v1/leads/${a.id}/score`));
    const scoreB = await json(getWithKey(at(t0 + 2 * HOUR), `/v1/leads/${b.id}/score`));
    // Rule hits only: fit, cap and rounding lines belong to no event.
    const hits = (score: any) => score.items.filter((i: any) => i.eventId);
    expect(hits(scoreA).every((i: any) => new Date(i.ts).getTime() < t0 + HOUR)).toBe(true);
    expect(hits(scoreB).every((i: any) => new Date(i.ts).getTime() >= t0 + HOUR)).toBe(true);
    expect(scoreA.items.length).toBeGreaterThan(0);
    expect(scoreB.items.length).toBeGreaterThan(0);
    expect(b.identityLog).toEqual([expect.objectContaining({ kind: 'switched', visitorId: shared, otherLeadId: a.id })]);
  });

  it.each(['null', 'undefined', 'test@test', 'test@example.com', 'not-an-email', '   ', 'a@b'])('never links junk like %j', async (junk) => {
    const v = 'v_' + newId();
    await send(Date.now(), [form(v, Date.now() - 10, junk)]);
    const visitor = await json(getWithKey(at(Date.now()), `/v1/visitors/${v}`));
    expect(visitor.leadId).toBeNull();
  });

  it(`stops linking new browsers to a lead that has ${MAX_VISITORS_PER_LEAD}, and says why`, async () => {
    const email = `shared-inbox-${newId()}@fernhill.example`;
    const t0 = Date.now() - DAY;
    const visitors = Array.from({ length: MAX_VISITORS_PER_LEAD + 1 }, () => 'v_' + newId());
    await send(t0 + DAY / 2, visitors.map((v, i) => form(v, t0 + i, email)));
    const lead = await leadByEmail(email);
    expect(lead.visitorIds).toHaveLength(MAX_VISITORS_PER_LEAD);
    expect(lead.identityLog.filter((l: any) => l.kind === 'refused')).toEqual([expect.objectContaining({ visitorId: visitors.at(-1), detail: expect.stringContaining(`${MAX_VISITORS_PER_LEAD} browsers`) })]);
  });

  it('merges two leads on request: the survivor keeps its id, lookups by the old id and email answer with it', async () => {
    const [v1, v2] = ['v_' + newId(), 'v_' + newId()];
    const t0 = Date.now() - DAY;
    const [work, home] = [`work-${newId()}@fernhill.example`, `home-${newId()}@gmail.com`];
    await send(t0 + 10, [view(v1, t0, 1, '/pricing'), form(v1, t0 + 1, work, 1, { jobTitle: 'CFO' })]);
    await send(t0 + 20, [view(v2, t0 + 11), form(v2, t0 + 12, home)]);
    const [survivor, other] = [await leadByEmail(work), await leadByEmail(home)];
    const merge = (into: string, leadId: string) =>
      at(t0 + 30).request(`/v1/leads/${into}/merge`, { method: 'POST', body: JSON.stringify({ leadId }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    const res = await merge(survivor.id, other.id);
    expect(res.status).toBe(200);
    const merged = await res.json();
    expect(merged.id).toBe(survivor.id);
    expect(merged.visitorIds.sort()).toEqual([v1, v2].sort());
    expect(merged.mergedIds).toEqual([other.id]);
    expect((await json(getWithKey(at(t0 + 30), `/v1/leads/${other.id}`))).id).toBe(survivor.id);
    expect((await leadByEmail(home)).id).toBe(survivor.id);
    expect((await merge(survivor.id, other.id)).status).toBe(409);
    const intoItself = await merge(survivor.id, survivor.id);
    expect(intoItself.status).toBe(409);
    expect(await intoItself.json()).toEqual({ error: { code: 'conflict', message: 'leadId: a lead cannot be merged into itself', field: 'leadId' } });
    const badBody = await merge(survivor.id, '');
    expect(badBody.status).toBe(400);
    expect((await badBody.json()).error).toMatchObject({ code: 'invalid_request', field: 'leadId' });
    // Later events of either browser count for the survivor.
    await send(t0 + 40, [view(v2, t0 + 35, 1, '/pricing')]);
    const score = await json(getWithKey(at(t0 + 40), `/v1/leads/${survivor.id}/score`));
    expect(score.items.filter((i: any) => i.ruleId === 'pricing')).toHaveLength(2);
  });

  it('sales feedback sent to a merged lead’s id moves the lead it was merged into, never the merged record', async () => {
    const t0 = Date.now() - 60_000;
    const [a, b] = [`fa-${newId()}@fernhill.example`, `fb-${newId()}@fernhill.example`];
    await postBatch(at(t0), { sentAt: t0, events: [makeEvent({ ts: t0 - 2000, type: 'form', name: 'contact', traits: { email: a } }), makeEvent({ ts: t0 - 1000, type: 'form', name: 'contact', traits: { email: b } })] });
    const [merged, survivor] = [await leadByEmail(a), await leadByEmail(b)];
    const post = (path: string, body: unknown) => at(t0 + 30).request(path, { method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect((await post(`/v1/leads/${survivor.id}/merge`, { leadId: merged.id })).status).toBe(200);
    const before = (await getDb().db.selectFrom('leads').select('stage').where('id', '=', survivor.id).executeTakeFirstOrThrow()).stage;

    const res = await post(`/v1/leads/${merged.id}/feedback`, { type: 'contacted' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.lead.id).toBe(survivor.id);
    expect(body.feedback).toMatchObject({ from: before, to: body.lead.stage });
    const rows = await getDb().db.selectFrom('feedback').select('lead_id').where('lead_id', 'in', [merged.id, survivor.id]).execute();
    expect(rows.map((r) => r.lead_id)).toEqual([survivor.id]);
    const mergedRow = await getDb().db.selectFrom('leads').select(['stage', 'merged_into']).where('id', '=', merged.id).executeTakeFirstOrThrow();
    expect(mergedRow).toEqual({ stage: merged.stage, merged_into: survivor.id });
    const changes = await getDb().db.selectFrom('stage_changes').select('lead_id').where('lead_id', '=', merged.id).where('source', '=', 'api').execute();
    expect(changes).toEqual([]);

    // The other routes that take a lead id answer for the survivor too.
    const rescore = await post(`/v1/admin/rescore?lead=${merged.id}`, {});
    expect(rescore.status).toBe(200);
    expect((await rescore.json()).leads).toBe(1);
    const unknown = await post('/v1/admin/rescore?lead=ld_nope', {});
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.field).toBe('lead');
    const exported = await getWithKey(at(t0 + 40), `/v1/leads/${merged.id}/export`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(await exported.json())).toContain(survivor.id);
  });

  it('a merge keeps the survivor’s traits and email: the merged lead’s, even given later, only fill its gaps, in replays too', async () => {
    const [v1, v2] = ['v_' + newId(), 'v_' + newId()];
    const t0 = Date.now() - DAY;
    const [dana, other] = [`dana-${newId()}@fernhill.example`, `dana-${newId()}@northgate.example`];
    await send(t0 + 10, [form(v1, t0, dana, 1, { jobTitle: 'Financial Controller', company: 'Fernhill Foods' })]);
    // The other lead's form came later, with other details and one the survivor lacks.
    await send(t0 + 20, [form(v2, t0 + 15, other, 1, { jobTitle: 'CFO', company: 'Northgate', phone: '+44 20 7946 0002' })]);
    const [survivor, merged] = [await leadByEmail(dana), await leadByEmail(other)];
    const res = await at(t0 + 30).request(`/v1/leads/${survivor.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: merged.id }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    const expected = { email: dana, jobTitle: 'Financial Controller', company: 'Fernhill Foods', phone: '+44 20 7946 0002' };
    expect((await res.json()).traits).toEqual(expected);
    // The merged browser's next form neither changes what is known nor the lead's email.
    await send(t0 + 40, [form(v2, t0 + 35, other, 1, { jobTitle: 'CEO' })]);
    expect((await leadByEmail(dana)).traits).toEqual(expected);
    await at(t0 + 50).request(`/v1/admin/rescore?lead=${survivor.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadByEmail(dana)).traits).toEqual(expected);
  });

  it('a merge gives the survivor the fit of what the merged lead told, in the replay and later', async () => {
    const [v1, v2] = ['v_' + newId(), 'v_' + newId()];
    const t0 = Date.now() - DAY;
    const [own, other] = [`sam-${newId()}@fernhill.example`, `sam-${newId()}@northgate.example`];
    await send(t0 + 10, [form(v1, t0, own)]);
    await send(t0 + 20, [form(v2, t0 + 15, other, 1, { jobTitle: 'CFO' })]);
    const [survivor, merged] = [await leadByEmail(own), await leadByEmail(other)];
    expect(survivor.score.fit).toBe(0);
    expect(merged.score.fit).toBeGreaterThan(0);
    const res = await at(t0 + 30).request(`/v1/leads/${survivor.id}/merge`, { method: 'POST', body: JSON.stringify({ leadId: merged.id }), headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    expect((await leadByEmail(own)).score.fit).toBe(merged.score.fit);
    // A later form naming the merged email, from the survivor's own browser, still counts for it.
    await send(t0 + 40, [form(v1, t0 + 35, other, 1, { country: 'Atlantis' })]);
    const after = await leadByEmail(own);
    expect(after).toMatchObject({ id: survivor.id, traits: { email: own, jobTitle: 'CFO', country: 'Atlantis' } });
    expect(after.score.fit).toBe(merged.score.fit);
    await at(t0 + 50).request(`/v1/admin/rescore?lead=${survivor.id}`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_SECRET_KEY}` } });
    expect((await leadByEmail(own)).score.fit).toBe(merged.score.fit);
  });

  it('expires anonymous visitors after the retention period, keeping leads’ visitors and recent ones', async () => {
    const now = Date.now();
    const [old, recent, known] = ['v_' + newId(), 'v_' + newId(), 'v_' + newId()];
    await send(now - 400 * DAY, [view(old, now - 400 * DAY)]);
    await send(now - 400 * DAY, [view(known, now - 400 * DAY), form(known, now - 400 * DAY + 1, `old-${newId()}@fernhill.example`)]);
    await send(now - DAY, [view(recent, now - DAY)]);
    const config = parseConfig({ sites: testConfig.sites.map((s) => ({ ...s, anonymousRetentionDays: 365 })) }, 'retention');
    const result = await expireAnonymousVisitors(getDb().db, config, now);
    expect(result.visitors).toBeGreaterThanOrEqual(1);
    expect((await getWithKey(at(now), `/v1/visitors/${old}`)).status).toBe(404);
    expect(await getDb().db.selectFrom('events').select('id').where('visitor_id', '=', old).execute()).toEqual([]);
    expect((await getWithKey(at(now), `/v1/visitors/${known}`)).status).toBe(200);
    expect((await getWithKey(at(now), `/v1/visitors/${recent}`)).status).toBe(200);
  });
});
