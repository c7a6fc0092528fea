import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { signIn, type DashboardClient } from '../../../../test/support/dashboard.js';
import { createKey, dashboardApp, dashboardConfig, points } from '../../../../test/support/dashboardData.js';
import { DEMO_ORIGIN, makeEvent, newId, postBatch } from '../../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../../shared/src/types.js';
import { createScorers } from '../../app.js';
import { leadTimeline } from '../../reports/leadTimeline.js';
import { publishRuleset } from '../../rulesets/publishRuleset.js';
import { describeCause } from './describeCause.js';
import { listLeads } from '../../reports/listLeads.js';
import type { Lead } from '../../leads/leadStore.js';

const DAY = 86_400_000;
const T = Math.floor(Date.now() / 1000) * 1000;

/** Text of a page without tags, for "the user sees" assertions. */
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const leadIdsIn = (html: string) => [...html.matchAll(/href="\/app\/leads\/([^"?]+)\?site=demo"/g)].map((m) => m[1]);

describeEachDialect('dashboard: leads and a lead', (getDb) => {
  const app = (at = T) => dashboardApp(getDb().db, () => at);
  const send = (at: number, events: TrackedEvent[]) => postBatch(app(at), { site: 'demo', sentAt: at, events });
  const visitor = () => ({ visitorId: 'v_' + newId(), sessionId: 's_' + newId() });
  const page = (v: { visitorId: string; sessionId: string }, ts: number, path: string) => makeEvent({ ...v, ts, path, url: `${DEMO_ORIGIN}${path}` });
  const form = (v: { visitorId: string; sessionId: string }, ts: number, traits: Record<string, string>, name = 'contact') => makeEvent({ ...v, ts, type: 'form', name, traits, url: `${DEMO_ORIGIN}/contact`, path: '/contact' });
  const leadByEmail = (email: string) => getDb().db.selectFrom('leads').selectAll().where('email', '=', email).executeTakeFirstOrThrow();

  const ana = { email: 'ana@fernhill.example', company: 'Fernhill Ltd', jobTitle: 'CFO' };
  const bo = { email: 'bo.wilde@gmail.com', company: 'Wilde & Sons', jobTitle: 'Owner' };
  const cy = { email: 'cy@acme.example', company: 'ACME Corp', jobTitle: 'Engineer' };
  let admin: DashboardClient;

  beforeAll(async () => {
    // Ana: a CFO who looked at prices and downloaded a file a minute ago (an MQL).
    const a = visitor();
    await send(T - 50_000, [form(a, T - 60_000, ana), page(a, T - 55_000, '/pricing'), makeEvent({ ...a, ts: T - 52_000, type: 'download', name: 'benchmark.pdf', url: `${DEMO_ORIGIN}/pricing`, path: '/pricing' })]);
    // Bo: a free-mail address with two blog posts, yesterday.
    const b = visitor();
    await send(T - DAY, [form(b, T - DAY - 3000, bo, 'newsletter'), page(b, T - DAY - 2000, '/blog/a'), page(b, T - DAY - 1000, '/blog/b')]);
    // Cy: came once, twenty days ago.
    const c = visitor();
    await send(T - 20 * DAY, [form(c, T - 20 * DAY - 1000, cy)]);
    admin = await signIn(app());
  });

  it('lists leads with stage, scores from the rules, last activity, company and job title', async () => {
    const html = await (await admin.get('/app/leads?site=demo')).text();
    const text = textOf(html);
    // Ana's figures follow from the rules her events matched (decay over a minute rounds away).
    const anaEngagement = points('page-view') + points('pricing') + points('download');
    const anaFit = points('finance');
    expect(text).toContain(`${ana.email} MQL ${anaEngagement + anaFit} ${anaFit} ${anaEngagement}`);
    expect(text).toContain(`Fernhill Ltd CFO`);
    expect(text).toContain(`${bo.email} Lead`);
    // Most recent activity first, by default.
    const order = ['ana', 'bo.wilde', 'cy'].map((p) => text.indexOf(`${p}@`));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(text).toContain(new Date(T - 52_000).toISOString().slice(0, 16).replace('T', ' '));
    expect(html).toMatch(/<th scope="col" class="num">Score<\/th>/);
  });

  it('filters by stage, score range, recent activity and a search in email or company; the filters stay in the form', async () => {
    const emails = async (query: string) => textOf(await (await admin.get(`/app/leads?site=demo&${query}`)).text()).match(/[\w.]+@[\w.]+\.(example|com)/g) ?? [];
    expect(await emails('stage=mql')).toEqual([ana.email]);
    expect(await emails('active=7')).toEqual([ana.email, bo.email]);
    expect(await emails('q=acme')).toEqual([cy.email]);
    expect(await emails('q=WILDE')).toEqual([bo.email]);
    expect(await emails('q=fernhill.ex')).toEqual([ana.email]);
    // Nothing matches a wildcard typed as text.
    expect(await emails('q=%25')).toEqual([]);
    const anaTotal = points('page-view') + points('pricing') + points('download') + points('finance');
    expect(await emails(`min=${anaTotal}`)).toEqual([ana.email]);
    expect(await emails(`min=${anaTotal + 0.01}`)).toEqual([]);
    expect(await emails(`max=0&sort=score`)).toEqual(expect.arrayContaining([bo.email, cy.email]));
    expect(await emails(`max=0`)).not.toContain(ana.email);
    const html = await (await admin.get('/app/leads?site=demo&stage=mql&q=fern&sort=score')).text();
    expect(html).toContain('<option value="mql" selected="">');
    expect(html).toContain('value="fern"');
    expect(html).toContain('<option value="score" selected="">');
    expect((await admin.get('/app/leads?site=demo&stage=hot')).status).toBe(400);
  });

  it('keeps the filter form on bad filters and says which to fix, listing no lead it was not asked for', async () => {
    const res = await admin.get('/app/leads?site=demo&min=abc&stage=bogus&q=fern');
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('role="search"');
    // The good filter stays in the form.
    expect(html).toContain('value="fern"');
    expect(html).toMatch(/<p data-field="stage">Stage: &quot;bogus&quot; is not valid/);
    expect(html).toMatch(/<p data-field="min">Score from: &quot;abc&quot; is not valid/);
    expect(leadIdsIn(html)).toEqual([]);
    expect(html).not.toContain('No leads match');
    // Each valid alone, but a reversed score range or a page link that is no cursor is said, not answered with an empty or first page.
    const reversed = await admin.get('/app/leads?site=demo&min=50&max=10');
    expect(reversed.status).toBe(400);
    expect(await reversed.text()).toMatch(/<p data-field="max">Score to: 10 is below Score from \(50\); no lead can match/);
    const garbage = await admin.get('/app/leads?site=demo&after=garbage');
    expect(garbage.status).toBe(400);
    const garbageHtml = await garbage.text();
    expect(garbageHtml).toMatch(/<p data-field="after">Page: the link to this page is broken or out of date/);
    expect(leadIdsIn(garbageHtml)).toEqual([]);
  });

  it('sorts by score, creation and activity in either order', async () => {
    const idsFor = async (query: string) => leadIdsIn(await (await admin.get(`/app/leads?site=demo&${query}`)).text());
    const [a, b, c] = (await Promise.all([ana, bo, cy].map((p) => leadByEmail(p.email)))) as [Lead, Lead, Lead];
    // Score: Ana (MQL) first; Bo's free mail costs him (negative fit) below Cy.
    expect(points('free-mail')).toBeLessThan(0);
    expect(await idsFor('sort=score')).toEqual([a.id, c.id, b.id]);
    expect(await idsFor('sort=score&order=asc')).toEqual([b.id, c.id, a.id]);
    expect(await idsFor('sort=created&order=asc')).toEqual([c.id, b.id, a.id]);
    expect(await idsFor('sort=activity')).toEqual([a.id, b.id, c.id]);
  });

  it('pages by keyset: every lead once, in order, whatever the page size', async () => {
    // Twelve more leads with different scores (0 to 11 page views of the pricing page in separate visits).
    for (let i = 0; i < 12; i++) {
      const v = visitor();
      const events = [form(v, T - 40 * DAY + i, { email: `pager-${i}@north.example` })];
      for (let k = 0; k < i; k++) events.push(makeEvent({ visitorId: v.visitorId, sessionId: `s_${newId()}`, ts: T - 40 * DAY + 100 + k, path: '/', visit: 2, url: `${DEMO_ORIGIN}/` }));
      await send(T - 40 * DAY + 1000, events);
    }
    const scorer = createScorers(dashboardConfig).get('demo');
    for (const sort of ['score', 'activity', 'created'] as const) {
      const all = await listLeads(getDb().db, scorer, { site: 'demo', sort, limit: 1000 }, T);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await listLeads(getDb().db, scorer, { site: 'demo', sort, limit: 4, after }, T);
        seen.push(...page.leads.map((l) => l.id));
        after = page.nextCursor ?? undefined;
      } while (after);
      expect(seen).toEqual(all.leads.map((l) => l.id));
      expect(new Set(seen).size).toBe(seen.length);
      if (sort === 'score') expect(all.leads.map((l) => l.score.total)).toEqual([...all.leads.map((l) => l.score.total)].sort((x, y) => y - x));
    }
    // The page links to the next one with the cursor and keeps the filters.
    const first = await listLeads(getDb().db, scorer, { site: 'demo', sort: 'score', limit: 4 }, T);
    expect(first.nextCursor).toBeTruthy();
  });

  it('shows a lead: traits with source and time, the score over time, and a timeline that explains each point', async () => {
    const lead = await leadByEmail(ana.email);
    const res = await admin.get(`/app/leads/${lead.id}?site=demo`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = textOf(html);
    expect(html).toContain(`<h1>${ana.email}</h1>`);
    expect(text).toContain(`company Fernhill Ltd form:contact ${new Date(T - 60_000).toISOString().slice(0, 16).replace('T', ' ')}`);
    expect(text).toContain('jobTitle CFO form:contact');
    // Every rule hit with its points and the rule's description, on the event that earned it.
    expect(text).toMatch(new RegExp(`Page view /pricing bottom pricing \\+${points('page-view') + points('pricing')} points`));
    expect(text).toContain(`+${points('pricing')} rule pricing : Because of pricing · now worth ${points('pricing')} after decay`);
    expect(text).toContain(`+${points('download')} rule download : Because of download`);
    // The stage change with its cause.
    expect(text).toMatch(/Stage Lead → MQL Score passed the MQL threshold \(engagement ≥ 15, fit ≥ 10\)/);
    expect(html).toContain('data-chart=');
    // Ana's history is a minute old: her score chart shows a week around it, in Unix seconds
    // (uPlot's unit), not uPlot's own range for a lone time point (its start and 1000 days on).
    const spec = JSON.parse(/data-chart="([^"]+)"/.exec(html)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { x: number[]; xRange?: [number, number] };
    expect(spec.x.at(-1)).toBe(T / 1000);
    const [min, max] = spec.xRange!;
    expect(min).toBeLessThanOrEqual(Math.min(...spec.x) - 3 * 86_400);
    expect(max).toBeGreaterThanOrEqual(T / 1000 + 3 * 86_400);
    expect(max - min).toBeLessThanOrEqual(8 * 86_400);
    expect(html).toContain('<h2 id="browsers">Linked browsers</h2>');
  });

  it('bounds the timeline: the newest 50 events, then older ones a page at a time', async () => {
    const v = visitor();
    const events = [form(v, T - 5 * DAY, { email: 'long@history.example' })];
    for (let i = 1; i <= 70; i++) events.push(page(v, T - 5 * DAY + i * 1000, `/guides/g${i}`));
    await send(T - 4 * DAY, events);
    const lead = await leadByEmail('long@history.example');
    const html = await (await admin.get(`/app/leads/${lead.id}?site=demo`)).text();
    const shown = (h: string) => [...h.matchAll(/\/guides\/g(\d+)</g)].map((m) => Number(m[1]));
    expect(shown(html)).toEqual(Array.from({ length: 50 }, (_, i) => 70 - i));
    const older = /href="([^"]+before=[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const next = await (await admin.get(older)).text();
    expect(shown(next)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    // The form that created the lead is on the last page, and there is no page after it.
    expect(textOf(next)).toContain('Form · contact');
    expect(next).not.toMatch(/before=/);
  });

  it('records sales feedback from the page as the API does, in the signed-in key’s name, and says so', async () => {
    const lead = await leadByEmail(ana.email);
    const res = await admin.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'accepted', note: 'called, keen' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/app/leads/${lead.id}?site=demo&done=feedback`);
    const after = await (await admin.get(res.headers.get('location')!)).text();
    expect(after).toMatch(/<p class="notice" role="status">\s*Feedback saved: the lead is now SQL\.\s*<\/p>/);
    expect(textOf(after)).toContain('Stage MQL → SQL Sales feedback: accepted');
    const stored = await getDb().db.selectFrom('feedback').selectAll().where('lead_id', '=', lead.id).execute();
    expect(stored).toMatchObject([{ type: 'accepted', by_user: 'bootstrap', note: 'called, keen' }]);
    expect(Number(stored[0]!.response_ms)).toBeGreaterThan(0);
    // Rejection needs a reason from the list; a lost deal one in words.
    const bad = await admin.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'rejected', reason: 'smells' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('reason');
    const lost = await admin.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'lost', reason: 'chose a spreadsheet' });
    expect(lost.status).toBe(303);
    expect((await leadByEmail(ana.email)).stage).toBe('recycled');
    // Feedback that does not fit the stage is refused with the reason, and nothing changes.
    const won = await admin.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'won' });
    expect(won.status).toBe(409);
    expect((await leadByEmail(ana.email)).stage).toBe('recycled');
  });

  it('sends the note with every answer: one feedback form holds the note and each button, and the timeline shows the note', async () => {
    // Dee: a CFO who looked at prices and downloaded a file (an MQL).
    const v = visitor();
    await send(T - 10_000, [form(v, T - 20_000, { email: 'dee@fernhill.example', jobTitle: 'CFO' }), page(v, T - 19_000, '/pricing'), makeEvent({ ...v, ts: T - 18_000, type: 'download', name: 'x.pdf', url: `${DEMO_ORIGIN}/pricing`, path: '/pricing' })]);
    const dee = await leadByEmail('dee@fernhill.example');
    expect(dee.stage).toBe('mql');
    const feedbackForms = (html: string) => [...html.matchAll(/<form method="post" action="[^"]*\/feedback\?[^"]*"[\s\S]*?<\/form>/g)].map((m) => m[0]);
    const answers = (form: string) => [...form.matchAll(/<button type="submit" name="type" value="(\w+)"/g)].map((m) => m[1]);
    const [mqlForm, ...more] = feedbackForms(await (await admin.get(`/app/leads/${dee.id}?site=demo`)).text());
    expect(more).toEqual([]);
    expect(answers(mqlForm!)).toEqual(['accepted', 'contacted', 'rejected']);
    expect(mqlForm).toMatch(/<label for="fb-note">Note for the record \(optional\)<\/label>\s*<textarea id="fb-note" name="note"/);
    expect(mqlForm).toMatch(/<label for="rj-reason">Reject because<\/label>\s*<select id="rj-reason" name="rejectReason">/);

    // Reject, as its button sends the form: the note goes with it.
    const rejected = await admin.post(`/app/leads/${dee.id}/feedback?site=demo`, { note: 'Ten people: too small for us', type: 'rejected', rejectReason: 'bad_fit', outcome: 'recycle' });
    expect(rejected.status).toBe(303);
    expect(textOf(await (await admin.get(`/app/leads/${dee.id}?site=demo`)).text())).toMatch(/Sales feedback rejected \(Bad fit\) by bootstrap (Answered [^.]+ after the handover )?Ten people: too small for us/);

    // Accepted again later (SQL): the same form offers every answer that fits, the lost deal with its reason and the note.
    expect((await admin.post(`/app/leads/${dee.id}/feedback?site=demo`, { note: '', type: 'accepted', rejectReason: 'bad_fit', outcome: 'recycle' })).status).toBe(303);
    const [sqlForm] = feedbackForms(await (await admin.get(`/app/leads/${dee.id}?site=demo`)).text());
    expect(answers(sqlForm!)).toEqual(['contacted', 'opportunity', 'won', 'rejected', 'lost']);
    expect(sqlForm).toContain('name="note"');
    expect(sqlForm).toMatch(/<label for="lost-reason">Lost because<\/label>\s*<input id="lost-reason" name="lostReason" type="text" required=""/);
    const lost = await admin.post(`/app/leads/${dee.id}/feedback?site=demo`, { note: 'Renewed with the incumbent', type: 'lost', rejectReason: 'bad_fit', outcome: 'recycle', lostReason: 'chose a competitor' });
    expect(lost.status).toBe(303);
    const stored = await getDb().db.selectFrom('feedback').select(['type', 'reason', 'note']).where('lead_id', '=', dee.id).execute();
    expect(stored).toHaveLength(3);
    expect(stored).toEqual(expect.arrayContaining([
      { type: 'rejected', reason: 'bad_fit', note: 'Ten people: too small for us' },
      { type: 'accepted', reason: null, note: null },
      { type: 'lost', reason: 'chose a competitor', note: 'Renewed with the incumbent' },
    ]));
    expect(textOf(await (await admin.get(`/app/leads/${dee.id}?site=demo`)).text())).toMatch(/Sales feedback lost \(chose a competitor\) by bootstrap (Answered [^.]+ after the handover )?Renewed with the incumbent/);
  });

  it('marks an accepted lead an opportunity from the page, which then offers the deal’s outcome but no second opportunity', async () => {
    const v = visitor();
    await send(T - 10_000, [form(v, T - 20_000, { email: 'eli@fernhill.example', jobTitle: 'COO' })]);
    const eli = await leadByEmail('eli@fernhill.example');
    expect((await admin.post(`/app/leads/${eli.id}/feedback?site=demo`, { type: 'accepted' })).status).toBe(303);
    const answers = async () => [...(await (await admin.get(`/app/leads/${eli.id}?site=demo`)).text()).matchAll(/<button type="submit" name="type" value="(\w+)"[^>]*>\s*([^<]+?)\s*</g)].map((m) => `${m[1]}:${m[2]}`);
    expect(await answers()).toContain('opportunity:Opportunity opened');
    expect((await admin.post(`/app/leads/${eli.id}/feedback?site=demo`, { type: 'opportunity', note: 'Scoping call booked' })).status).toBe(303);
    expect((await leadByEmail(eli.email)).stage).toBe('opportunity');
    expect(await answers()).toEqual(['contacted:Contacted', 'won:Won', 'lost:Lost']);
    const stored = await getDb().db.selectFrom('feedback').select(['type', 'note', 'by_user']).where('lead_id', '=', eli.id).where('type', '=', 'opportunity').execute();
    expect(stored).toEqual([{ type: 'opportunity', note: 'Scoping call booked', by_user: 'bootstrap' }]);
  });

  it('merges another lead into this one after asking, by email; the merged id leads to the survivor', async () => {
    const [keep, gone] = await Promise.all([leadByEmail(cy.email), leadByEmail(bo.email)]);
    const html = await (await admin.get(`/app/leads/${keep.id}?site=demo`)).text();
    expect(html).toMatch(/<form method="post" action="[^"]+\/merge\?site=demo" class="inline-form" data-confirm="Merge the other lead into cy@acme.example\?/);
    const res = await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other: 'Bo.Wilde@gmail.com' });
    expect(res.status).toBe(303);
    const page = await (await admin.get(res.headers.get('location')!)).text();
    expect(page).toContain(`Merged: ${bo.email} is now part of this lead.`);
    expect(textOf(page)).toContain(`Leads merged ${gone.id} (${bo.email}) merged into ${keep.id}`);
    // Bo's browser and his blog reading now show on Cy's timeline.
    expect(page).toContain('/blog/b');
    const old = await admin.get(`/app/leads/${gone.id}?site=demo`);
    expect(old.status).toBe(302);
    expect(old.headers.get('location')).toBe(`/app/leads/${keep.id}?site=demo&merged=${gone.id}`);
    expect((await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other: 'nobody@nowhere.example' })).status).toBe(404);
    expect((await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other: keep.id })).status).toBe(409);
  });

  it('a refused merge shows the lead’s page again, the field keeping what was typed and the reason beside it in words (4xx)', async () => {
    const keep = await leadByEmail(cy.email);
    const mistyped = await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other: 'bo.wilde@gmial.com' });
    expect(mistyped.status).toBe(404);
    const html = await mistyped.text();
    expect(html).toContain(`<h1>${cy.email}</h1>`);
    expect(html).toMatch(/<input id="merge-other" name="other" type="text" required="" maxlength="320" value="bo.wilde@gmial.com" aria-invalid="true" aria-describedby="merge-error"\/?>/);
    expect(html).toMatch(/<p role="alert" id="merge-error"[^>]*>No lead of this site has the email or id “bo.wilde@gmial.com”/);
    expect(textOf(html)).not.toMatch(/\b(other|leadId|id): /);
    expect(html).not.toContain('Back to the overview');
    // The lead itself, by id or by its own email.
    for (const other of [keep.id, cy.email.toUpperCase()]) {
      const self = await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other });
      expect(self.status).toBe(409);
      const page = await self.text();
      expect(page).toMatch(new RegExp(`<p role="alert" id="merge-error"[^>]*>“${other}” is this lead itself: give another lead’s email or id\\.`));
      expect(page).toContain(`value="${other}"`);
    }
    const empty = await admin.post(`/app/leads/${keep.id}/merge?site=demo`, { other: '  ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toMatch(/<p role="alert" id="merge-error"[^>]*>Give the email or the id of the lead to merge into this one\./);
    // The address a refusal leaves in the browser leads back to the lead.
    const again = await admin.get(`/app/leads/${keep.id}/merge?site=demo`);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe(`/app/leads/${keep.id}?site=demo`);
  });

  it('refused feedback shows the lead’s page again with the note kept and the reason in words', async () => {
    const keep = await leadByEmail(cy.email);
    expect(keep.stage).toBe('lead');
    const noReason = await admin.post(`/app/leads/${keep.id}/feedback?site=demo`, { note: 'Keep this note', type: 'lost', lostReason: '' });
    expect(noReason.status).toBe(400);
    const html = await noReason.text();
    expect(html).toMatch(/<p role="alert" id="feedback-error">Say why the deal was lost/);
    expect(html).toMatch(/<textarea id="fb-note" name="note"[^>]*>Keep this note<\/textarea>/);
    // Won does not fit a lead that is not SQL: nothing is recorded, and the page says why.
    const won = await admin.post(`/app/leads/${keep.id}/feedback?site=demo`, { note: 'Signed', type: 'won' });
    expect(won.status).toBe(409);
    expect(await won.text()).toMatch(/<p role="alert" id="feedback-error">This lead is Lead now: “Won” does not fit that stage\. Nothing was recorded\./);
    expect(await getDb().db.selectFrom('feedback').select('id').where('lead_id', '=', keep.id).execute()).toEqual([]);
  });

  it('a read key sees the lead but no action forms, and its changes are refused; a write key may give feedback, not merge', async () => {
    const lead = await leadByEmail('long@history.example');
    const reader = await signIn(app(), await createKey(app(), 'marketing', ['read']));
    const html = await (await reader.get(`/app/leads/${lead.id}?site=demo`)).text();
    expect(html).toContain('long@history.example');
    expect(html).not.toContain('/feedback?');
    expect(html).not.toContain('/merge?');
    const refused = await reader.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'contacted' });
    expect(refused.status).toBe(403);
    expect((await reader.post(`/app/leads/${lead.id}/merge?site=demo`, { other: ana.email })).status).toBe(403);
    expect(await getDb().db.selectFrom('feedback').select('id').where('lead_id', '=', lead.id).execute()).toEqual([]);
    const writer = await signIn(app(), await createKey(app(), 'sales', ['read', 'write']));
    const own = await (await writer.get(`/app/leads/${lead.id}?site=demo`)).text();
    expect(own).toContain('/feedback?');
    expect(own).not.toContain('/merge?');
    expect((await writer.post(`/app/leads/${lead.id}/merge?site=demo`, { other: ana.email })).status).toBe(403);
    expect((await writer.post(`/app/leads/${lead.id}/feedback?site=demo`, { type: 'contacted' })).status).toBe(303);
    expect(await getDb().db.selectFrom('feedback').select('by_user').where('lead_id', '=', lead.id).execute()).toEqual([{ by_user: 'sales' }]);
  });

  it("tells a stage change's cause by the rules in force when it changed, not by today's", async () => {
    const lead = await leadByEmail(ana.email);
    const scorers = createScorers(dashboardConfig);
    const { rules } = scorers.get('demo')!;
    await publishRuleset(getDb().db, scorers, { site: 'demo', rules: { ...rules, thresholds: { ...rules.thresholds, mql: { engagement: 99, fit: 0 } } } }, { by: 'test', source: 'api', now: T });
    const today = scorers.get('demo')!;
    expect(today.rules.thresholds.mql).toEqual({ engagement: 99, fit: 0 });
    const timeline = await leadTimeline(getDb().db, today, lead, {}, T);
    const change = timeline.items.find((i) => i.kind === 'stage' && i.cause === 'threshold:mql');
    if (change?.kind !== 'stage') throw new Error('no threshold stage change');
    expect(describeCause(change.cause, timeline.rulesOf.get(change.ruleVersion))).toBe('Score passed the MQL threshold (engagement ≥ 15, fit ≥ 10)');
  });

  it('an unknown lead, or one of another site, is not found', async () => {
    expect((await admin.get('/app/leads/ld_nope?site=demo')).status).toBe(404);
    const lead = await leadByEmail(ana.email);
    expect((await admin.post(`/app/leads/${lead.id}/feedback?site=other`, { type: 'contacted' })).status).toBe(404);
  });
});
