import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/databases.js';
import { signIn, type DashboardClient } from '../../../../test/support/dashboard.js';
import { TEST_SCORING, TEST_SECRET_KEY, makeEvent, newId, postBatch, testApp } from '../../../../test/support/ingest.js';
import type { TrackedEvent } from '../../../../shared/src/types.js';
import { listRulesets } from '../../rulesets/listRulesets.js';
import { parseDraft } from './parseDraft.js';

const auth = { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' };
const MIN = 60_000;
/** The rule set in effect on the `scored` site with the pricing page worth 12 points instead of 5. */
const pricier = () => {
  const rules = structuredClone(TEST_SCORING) as typeof TEST_SCORING;
  rules.engagement.find((r) => r.id === 'pricing')!.points = 12;
  return rules;
};
const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const textareaOf = (html: string) => decode(/<textarea id="rules"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!);
const rowText = (html: string, attr: string, value: string) =>
  (new RegExp(`<tr data-${attr}="${value}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
const until = async <T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

it('reads a draft, naming the field of what is wrong from the rule set’s root, or the line of a JSON error', () => {
  const rules = structuredClone(TEST_SCORING) as any;
  rules.engagement[2].points = 'ten';
  const bad = parseDraft(JSON.stringify(rules, null, 2));
  expect(bad).toMatchObject({ ok: false, field: 'engagement.2.points', message: expect.stringMatching(/^engagement\.2\.points: /) });
  expect(parseDraft('{\n  "halfLifeDays": 30,\n  oops\n}')).toMatchObject({ ok: false, field: 'rules', message: expect.stringMatching(/^rules: not valid JSON at line 3, column 3/) });
  expect(parseDraft(JSON.stringify(TEST_SCORING))).toMatchObject({ ok: true, rules: { thresholds: { mql: { engagement: 15, fit: 10 } } } });
  // `\u0000` written in the JSON is a NUL once parsed: refused as the API refuses it (PostgreSQL cannot store it).
  const nul = structuredClone(TEST_SCORING) as any;
  nul.engagement[0].id = 'a\u0000b';
  expect(parseDraft(JSON.stringify(nul))).toMatchObject({ ok: false, field: 'engagement.0.id', message: 'engagement.0.id: contains a NUL character (\\u0000), which cannot be stored' });
});

describeEachDialect('scoring page', (getDb) => {
  let ingest: ReturnType<typeof testApp>;
  let admin: DashboardClient;
  let reader: DashboardClient;
  const people = Object.fromEntries(['climber', 'won', 'freemail', 'lost', 'rejected'].map((k) => [k, { email: `${k}-${newId()}@${k === 'freemail' ? 'gmail.com' : 'fernhill.example'}`, id: '' }]));
  const base = Date.now() - 90 * MIN;

  beforeAll(async () => {
    ingest = testApp(getDb().db);
    const visit = async (who: keyof typeof people, offset: number, steps: Array<Partial<TrackedEvent>>, jobTitle = 'CFO') => {
      const visitorId = `v_${who}_${newId()}`;
      const sessionId = `s_${visitorId}`;
      const events = [
        makeEvent({ visitorId, sessionId, ts: base + offset * MIN, type: 'form', name: 'newsletter', path: '/newsletter', traits: { email: people[who]!.email, jobTitle } }),
        ...steps.map((s, i) => makeEvent({ visitorId, sessionId, ts: base + (offset + i + 1) * MIN, ...s })),
      ];
      const res = await postBatch(ingest, { site: 'scored', events });
      expect((await res.json()).accepted).toBe(events.length);
      people[who]!.id = (await getDb().db.selectFrom('leads').select('id').where('email', '=', people[who]!.email).executeTakeFirstOrThrow()).id;
    };
    const feedback = async (who: keyof typeof people, body: object) => {
      const res = await ingest.request(`/v1/leads/${people[who]!.id}/feedback`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    // Fit 15 (CFO) for all but the free-mail one (−10). Under the rules in effect the pricing page gives 2 + 5.
    await visit('climber', 0, [{ path: '/pricing' }, { path: '/blog/x' }]); // 9: a lead; 16 with pricing at 12 → MQL
    await visit('won', 10, [{ path: '/pricing' }, { type: 'download', name: 'guide.pdf', path: '/guides/g' }]); // 17: MQL, then won
    await visit('freemail', 20, [{ path: '/pricing' }, { type: 'download', name: 'guide.pdf', path: '/guides/g' }], 'Student'); // 17, but fit −10: a lead
    await visit('lost', 30, [{ path: '/blog/x' }]); // 2: a lead, accepted and lost
    await visit('rejected', 40, [{ path: '/pricing' }, { path: '/blog/x' }]); // 9 (16 under the draft), rejected
    await feedback('won', { type: 'accepted' });
    await feedback('won', { type: 'won' });
    await feedback('lost', { type: 'accepted' });
    await feedback('lost', { type: 'lost', reason: 'no_budget' });
    await feedback('rejected', { type: 'rejected', reason: 'bad_fit' });
    admin = await signIn(ingest);
    const key = await ingest.request('/v1/keys', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'marketing', scopes: ['read'] }) });
    reader = await signIn(ingest, (await key.json()).key);
  });

  it('shows the rule set in effect with each rule’s description, points, limit and hits over 30 days, and the follow-up setting', async () => {
    const res = await admin.get('/app/scoring?site=scored');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Scoring</h1>');
    expect(html).toMatch(/Version <code>r-[0-9a-f]{12}<\/code>, from the config file/);
    // Pricing: the climber, the won, the free-mail and the rejected lead viewed it once each.
    expect(rowText(html, 'rule', 'pricing')).toBe('pricing Engagement – pageview, category pricing 5 once a visit 4 20');
    expect(rowText(html, 'rule', 'download')).toBe('download Engagement – download 10 every time 2 20');
    expect(rowText(html, 'rule', 'finance')).toMatch(/^finance Fit – jobTitle matches \/cfo\|controller\/ 15 while it holds – –$/);
    expect(html).toContain('id="follow-up">1 hour<');
    // Prefilled with the rules in effect.
    expect(JSON.parse(textareaOf(html))).toEqual((parseDraft(JSON.stringify(TEST_SCORING)) as { rules: unknown }).rules);
  });

  it('refuses a broken draft naming the field, keeping what was typed', async () => {
    const rules = structuredClone(TEST_SCORING) as any;
    rules.engagement[2].points = 'ten';
    const typed = JSON.stringify(rules, null, 2);
    const res = await admin.post('/app/scoring/backtest?site=scored', { rules: typed });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/<p role="alert" id="draft-error">engagement\.2\.points: /);
    expect(textareaOf(html)).toBe(typed);
  });

  it('changes the draft’s thresholds, half-life and points from a form, without JSON, then backtests it', async () => {
    const page = await (await reader.get('/app/scoring?site=scored')).text();
    // Prefilled with the rules in effect.
    expect(page).toMatch(/<input id="q-mql-engagement" name="mqlEngagement" type="number"[^>]* value="15"/);
    expect(page).toMatch(/<input id="q-points-pricing" name="points.pricing" type="number"[^>]* value="5"/);
    const rules = textareaOf(page);
    const res = await reader.post('/app/scoring/backtest?site=scored', { rules, edit: '1', mqlEngagement: '12', mqlFit: '10', halfLifeDays: '', 'points.pricing': '12' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Draft changed (not published): MQL engagement threshold 15 → 12; pricing points 5 → 12.');
    const draft = JSON.parse(textareaOf(html));
    expect(draft.thresholds.mql).toEqual({ engagement: 12, fit: 10 });
    expect(draft.engagement.find((r: { id: string }) => r.id === 'pricing').points).toBe(12);
    expect(draft.halfLifeDays).toBe(TEST_SCORING.halfLifeDays ?? 30);
    // The results are the edited draft's, and the form now shows its numbers.
    expect(html).toContain('id="backtest-results"');
    expect(html).toMatch(/<input id="q-mql-engagement" name="mqlEngagement" type="number"[^>]* value="12"/);
    // Nothing was published.
    expect(await listRulesets(getDb().db, 'scored')).toEqual([]);
  });

  it('applies only the numbers changed in the form onto the JSON as posted, so an edit made in the JSON stays', async () => {
    const page = await (await reader.get('/app/scoring?site=scored')).text();
    const json = JSON.parse(textareaOf(page));
    json.engagement.find((r: { id: string }) => r.id === 'pricing').points = 7;
    // Every field of the form as the page showed it, with one changed: the threshold.
    const shown = Object.fromEntries([...page.matchAll(/<input type="hidden" name="was\.([^"]+)" value="([^"]*)"/g)].flatMap(([, name, value]) => [[name!, value!], [`was.${name}`, value!]]));
    const res = await reader.post('/app/scoring/backtest?site=scored', { ...shown, mqlEngagement: '12', rules: JSON.stringify(json) });
    expect(res.status).toBe(200);
    const html = await res.text();
    const draft = JSON.parse(textareaOf(html));
    expect(draft.thresholds.mql.engagement).toBe(12);
    expect(draft.engagement.find((r: { id: string }) => r.id === 'pricing').points).toBe(7);
    expect(html).toContain('Draft changed (not published): MQL engagement threshold 15 → 12.');
    // Points typed for a rule the JSON no longer has are named, not dropped in silence.
    const without = { ...json, engagement: json.engagement.filter((r: { id: string }) => r.id !== 'pricing') };
    const named = await (await reader.post('/app/scoring/backtest?site=scored', { ...shown, 'points.pricing': '40', rules: JSON.stringify(without) })).text();
    expect(named).toContain('The form changed nothing in the draft. Not applied: points for pricing, which the JSON draft no longer has.');
    // An empty threshold from the calibration button is no threshold of 0.
    const empty = await (await reader.post('/app/scoring/backtest?site=scored', { rules: JSON.stringify(json), threshold: '' })).text();
    expect(JSON.parse(textareaOf(empty)).thresholds.mql.engagement).toBe(json.thresholds.mql.engagement);
    // A problem in the JSON is marked on the JSON, not on the form's field of the same name.
    const broken = await (await reader.post('/app/scoring/backtest?site=scored', { ...shown, rules: JSON.stringify({ ...json, halfLifeDays: 0 }) })).text();
    expect(broken).toMatch(/<textarea id="rules" name="rules"[^>]* aria-invalid="true"/);
    expect(broken).not.toMatch(/name="halfLifeDays"[^>]* aria-invalid/);
  });

  it('names the form’s field when one of its numbers is not valid, keeping the draft', async () => {
    const rules = textareaOf(await (await reader.get('/app/scoring?site=scored')).text());
    const zero = await reader.post('/app/scoring/backtest?site=scored', { rules, edit: '1', halfLifeDays: '0' });
    expect(zero.status).toBe(400);
    const html = await zero.text();
    expect(html).toMatch(/<p role="alert" id="draft-error">halfLifeDays: /);
    expect(html).toMatch(/<input id="q-half-life" name="halfLifeDays"[^>]* aria-invalid="true" aria-describedby="draft-error"/);
    expect(textareaOf(html)).toBe(rules);
    const word = await reader.post('/app/scoring/backtest?site=scored', { rules, edit: '1', 'points.pricing': 'ten' });
    expect(word.status).toBe(400);
    expect(await word.text()).toMatch(/<p role="alert" id="draft-error">points\.pricing: &quot;ten&quot; is not a number/);
  });

  it('backtests a draft: MQLs now and with it, the leads that move with links, sales outcomes, and the calibrated threshold', async () => {
    const res = await reader.post('/app/scoring/backtest?site=scored', { rules: JSON.stringify(pricier(), null, 2) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/replayed over the stored history of 5 leads \(\d+ events\)/);
    expect(html).toMatch(/id="mql-count"><div class="value">1 → 2<\/div>/);
    expect(html).toMatch(/id="moves-up"><div class="value pos">1</);
    expect(html).toMatch(/id="moves-down"><div class="value neg">0</);
    expect(html).toContain(`<tr data-lead="${people.climber!.id}">`);
    expect(html).toContain(`href="/app/leads/${people.climber!.id}?site=scored">${people.climber!.email}</a>`);
    // Scores now and under the draft: 9 and 16 engagement (decayed a little since) plus fit 15.
    const [, now, draft, change] = /lead → mql ([\d.]+) ([\d.]+) \+([\d.]+)$/.exec(rowText(html, 'lead', people.climber!.id))!.map(Number);
    expect(now).toBeCloseTo(24, 0);
    expect(draft).toBeCloseTo(31, 0);
    expect(change).toBeCloseTo(draft! - now!, 1);
    expect(rowText(html, 'outcome', 'acceptedOrWon')).toBe('Accepted or won 1 1 1');
    expect(rowText(html, 'outcome', 'rejectedOrLost')).toBe('Rejected or lost 2 0 1');
    // Calibration: the won lead peaked far above the lost one, and the draft's threshold (15) already lies between: nothing to change.
    expect(html).toMatch(/id="calibration-keep">\s*The draft’s threshold, 15, separates won from lost leads as well as any/);
    expect(html).not.toContain('id="best-threshold"');
    // A read session may backtest (it changes nothing) but is not offered publishing.
    expect(html).not.toContain('id="publish-form"');

    // With a threshold above both leads' peaks, the best one lies between them: suggested, as a hint (one won and one lost lead).
    const high = pricier();
    high.thresholds.mql.engagement = 60;
    const highHtml = await (await reader.post('/app/scoring/backtest?site=scored', { rules: JSON.stringify(high) })).text();
    const best = Number(/id="best-threshold">([\d.]+)</.exec(highHtml)![1]);
    expect(highHtml).toMatch(/id="calibration-few">\s*A hint, not yet a finding: it rests on 1 won and 1 lost leads/);
    expect(best).toBeGreaterThan(2);
    expect(best).toBeLessThanOrEqual(24);
    // The chart of peaks: bins of one width (ticks on their edges), the draft's threshold (60) and the best one marked, in words too.
    const spec = JSON.parse(decode(/data-chart="([^"]+)"/.exec(highHtml)![1]!)) as { x: number[]; binWidth: number; markers: unknown[] };
    expect(spec.binWidth).toBeGreaterThan(0);
    expect(spec.x.every((x, i) => i === 0 || x - spec.x[i - 1]! === spec.binWidth)).toBe(true);
    expect(spec.markers).toEqual([{ x: 60, label: 'Draft' }, { x: best, label: 'Suggested' }]);
    expect(highHtml).toContain(`Dashed lines mark the draft’s threshold: 60 and the suggested threshold: ${best}.`);

    const calibrated = await reader.post('/app/scoring/backtest?site=scored', { rules: JSON.stringify(high), threshold: String(best) });
    const again = await calibrated.text();
    expect(JSON.parse(textareaOf(again)).thresholds.mql.engagement).toBe(best);
    expect(again).toContain(`MQL engagement threshold set to ${best} in the draft (not published).`);

    // A draft under which won and lost leads score alike (no engagement rule at all): no suggestion, no button, no marker.
    const flat = { ...pricier(), engagement: [] };
    const none = await (await reader.post('/app/scoring/backtest?site=scored', { rules: JSON.stringify(flat) })).text();
    expect(none).toMatch(/id="calibration-none">\s*No engagement threshold separates won from lost leads under the draft/);
    expect(none).not.toContain('id="best-threshold"');
    expect(none).not.toContain('into the draft and backtest again');
    expect(JSON.parse(decode(/data-chart="([^"]+)"/.exec(none)![1]!)).markers.map((m: { label: string }) => m.label)).not.toContain('Suggested');
  });

  it('refuses to publish for a read session (403), and publishes for an admin: a new version, who and when, and leads rescored', async () => {
    const rules = JSON.stringify(pricier(), null, 2);
    const refused = await reader.post('/app/scoring/publish?site=scored', { rules });
    expect(refused.status).toBe(403);
    expect(await listRulesets(getDb().db, 'scored')).toEqual([]);

    const tested = await (await admin.post('/app/scoring/backtest?site=scored', { rules })).text();
    expect(tested).toMatch(/<form method="post" action="\/app\/scoring\/publish\?site=scored" class="panel" id="publish-form" data-confirm="Publish draft r-[0-9a-f]{12} for scored\? It takes effect at once and every lead is rescored: (\d+ leads? go(es)? to sales at once \(a handover each, with its webhooks\)|no lead is handed to sales or taken back|\d+ leads? drops? back below MQL)/);
    expect(tested).toMatch(/<p id="publish-handovers">Publishing /);
    const published = await admin.post('/app/scoring/publish?site=scored', { rules, note: 'pricing counts more' });
    expect(published.status).toBe(303);
    const location = published.headers.get('location')!;
    expect(location).toMatch(/^\/app\/scoring\?site=scored&published=r-[0-9a-f]{12}$/);
    const done = await until(async () => {
      const html = await (await admin.get(location)).text();
      return /Rescore done at/.test(html) ? html : undefined;
    });
    const version = /published=(r-[0-9a-f]{12})/.exec(location)![1]!;
    expect(done).toContain(`Version <code>${version}</code>, published by <strong>bootstrap</strong>`);
    expect(done).toContain('from the dashboard');
    expect(done).toContain('“pricing counts more”');
    expect(rowText(done, 'rule', 'pricing')).toMatch(/^pricing Engagement – pageview, category pricing 12 /);
    expect(rowText(done, 'version', version)).toMatch(/in effect bootstrap \d{4}-\d\d-\d\d \d\d:\d\d dashboard pricing counts more Rescore done at .*: 5 leads, \d+ events, 1 moved up, 0 down\.$/);
    expect(done).toMatch(/<tr data-version="r-[0-9a-f]{12}"><th scope="row"><code>r-[0-9a-f]{12}<\/code> <\/th><td>config<\/td>/);
    const lead = await (await ingest.request(`/v1/leads/${people.climber!.id}`, { headers: auth })).json();
    expect(lead.stage).toBe('mql');
    // The same rules again change nothing, and say so.
    const same = await admin.post('/app/scoring/publish?site=scored', { rules });
    expect(same.headers.get('location')).toBe(`/app/scoring?site=scored&unchanged=${version}`);
  });
});
