import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScorer, emptyState, replay, type ScoredEvent, type ScoreState } from './engine.js';
import { advanceStage } from './lifecycle.js';
import { MAX_RULE_POINTS, scoringSchema, ruleVersion } from './rulesSchema.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
let n = 0;
const ev = (over: Partial<ScoredEvent> = {}): ScoredEvent => ({
  id: `e${String(++n).padStart(6, '0')}`,
  ts: T0,
  type: 'pageview',
  name: null,
  path: '/',
  stage: null,
  category: null,
  visit: 1,
  sessionId: 's1',
  props: null,
  traits: null,
  ...over,
});

const scorerOf = (rules: unknown) => createScorer(scoringSchema.parse(rules));
const run = (scorer: ReturnType<typeof scorerOf>, events: ScoredEvent[]) => {
  let state: ScoreState = emptyState();
  const all = [];
  for (const e of events) {
    const r = scorer.scoreEvent(state, e);
    state = r.state;
    all.push(r);
  }
  return { state, results: all, points: all.map((r) => r.hits.reduce((a, h) => a + h.points, 0)) };
};

describe('engagement rules', () => {
  it('match on type, stage, category, path, name, properties and first or returning visit', () => {
    const scorer = scorerOf({
      halfLifeDays: 1000,
      engagement: [
        { id: 'stage', match: { type: 'pageview', stage: 'bottom' }, points: 1 },
        { id: 'category', match: { category: 'pricing' }, points: 2 },
        { id: 'path', match: { path: '/docs/**' }, points: 4 },
        { id: 'form', match: { type: 'form', name: 'demo-*' }, points: 8 },
        { id: 'file', match: { type: 'download', name: '*.pdf' }, points: 16 },
        { id: 'props', match: { type: 'track', name: 'calc', props: { plan: 'growth' } }, points: 32 },
        { id: 'returning', match: { type: 'pageview', visit: 'returning' }, points: 64 },
      ],
    });
    const { points } = run(scorer, [
      ev({ stage: 'bottom', category: 'pricing' }),
      ev({ path: '/docs/setup/sso' }),
      ev({ type: 'form', name: 'demo-request' }),
      ev({ type: 'download', name: 'Benchmark.PDF' }),
      ev({ type: 'track', name: 'calc', props: { plan: 'growth' } }),
      ev({ type: 'track', name: 'calc', props: { plan: 'starter' } }),
      ev({ visit: 2, sessionId: 's2' }),
    ]);
    expect(points).toEqual([3, 4, 8, 16, 32, 0, 64]);
  });

  it('scores the first event of a visit, returning visits, engaged time and scroll depth', () => {
    const scorer = scorerOf({
      engagement: [
        { id: 'returning-visit', match: { type: 'visit', visit: 'returning' }, points: 8 },
        { id: 'reading', match: { type: 'engagement', minEngagedSeconds: 60, minScrollDepth: 50 }, points: 3 },
      ],
    });
    const { points } = run(scorer, [
      ev({ sessionId: 'a' }),
      ev({ sessionId: 'b', visit: 2 }),
      ev({ sessionId: 'b', visit: 2 }),
      ev({ type: 'engagement', sessionId: 'b', visit: 2, props: { engagedMs: 61_000, scrollDepth: 80 } }),
      ev({ type: 'engagement', sessionId: 'b', visit: 2, props: { engagedMs: 61_000, scrollDepth: 20 } }),
    ]);
    expect(points).toEqual([0, 8, 0, 3, 0]);
  });

  it('gives negative points', () => {
    const scorer = scorerOf({ engagement: [{ id: 'careers', match: { category: 'careers' }, points: -10 }] });
    expect(run(scorer, [ev({ category: 'careers' })]).state.engagement).toBe(-10);
  });
});

describe('frequency limits', () => {
  const scorer = scorerOf({
    engagement: [
      { id: 'always', match: { type: 'pageview' }, points: 1 },
      { id: 'once', match: { type: 'pageview' }, points: 10, limit: 'once' },
      { id: 'per-visit', match: { type: 'pageview' }, points: 100, limit: 'oncePerVisit' },
      { id: 'two-a-day', match: { type: 'pageview' }, points: 1000, limit: { max: 2, perDays: 1 } },
    ],
  });
  it('give points every time, once ever, once per visit, or at most N per period', () => {
    const { points } = run(scorer, [
      ev({ ts: T0, sessionId: 'a' }),
      ev({ ts: T0 + 1000, sessionId: 'a' }),
      ev({ ts: T0 + 2000, sessionId: 'a' }),
      ev({ ts: T0 + 3000, sessionId: 'b' }),
      ev({ ts: T0 + DAY + 1000, sessionId: 'c' }),
    ]);
    expect(points).toEqual([1111, 1001, 1, 101, 1101]);
  });
});

describe('decay, caps and explanation', () => {
  const scorer = scorerOf({
    halfLifeDays: 10,
    caps: { engagement: 50, fit: 15 },
    engagement: [{ id: 'download', match: { type: 'download' }, points: 40 }],
    fit: [
      { id: 'cfo', trait: 'jobTitle', matches: 'cfo|controller', points: 10 },
      { id: 'size', trait: 'companySize', in: ['51-200'], points: 10 },
    ],
  });

  it('halves engagement every half-life, computed at read time', () => {
    const { state } = run(scorer, [ev({ type: 'download' })]);
    expect(scorer.scoresAt(state, T0).engagement).toBe(40);
    expect(scorer.scoresAt(state, T0 + 10 * DAY).engagement).toBe(20);
    expect(scorer.scoresAt(state, T0 + 20 * DAY).engagement).toBe(10);
  });

  it('caps engagement and fit separately, and explains every point, summing exactly to the score', () => {
    const { state, results } = run(scorer, [
      ev({ type: 'download', traits: { jobTitle: 'Financial Controller', companySize: '51-200' } }),
      ev({ type: 'download', ts: T0 + 5 * DAY }),
    ]);
    const at = T0 + 7 * DAY;
    const scores = scorer.scoresAt(state, at);
    expect(scores).toEqual({ engagement: 50, fit: 15, total: 65 });
    const explained = scorer.explain(results.flatMap((r) => r.hits), scorer.fitHits(state.traits), at);
    expect(explained.total).toBe(scores.total);
    expect(Math.round(explained.items.reduce((a, i) => a + i.remaining, 0) * 100) / 100).toBe(explained.total);
    expect(explained.items.map((i) => i.ruleId)).toEqual(['download', 'download', 'cap:engagement', 'cfo', 'size', 'cap:fit']);
    const [first, second] = explained.items;
    expect(first!.remaining).toBeCloseTo(40 * 2 ** -0.7, 2);
    expect(second!.remaining).toBeCloseTo(40 * 2 ** -0.2, 2);
  });

  it('costs points for free-mail and competitor domains', () => {
    const s = scorerOf({ fit: [{ id: 'free', trait: 'emailDomain', in: ['freemail'], points: -10 }, { id: 'rival', trait: 'emailDomain', in: ['rival.example'], points: -50 }] });
    expect(s.fitHits({ email: 'ana@gmail.com' })).toEqual([{ ruleId: 'free', points: -10 }]);
    expect(s.fitHits({ email: 'bo@Rival.example' })).toEqual([{ ruleId: 'rival', points: -50 }]);
    expect(s.fitHits({ email: 'cy@fernhill.example' })).toEqual([]);
  });
});

describe('thresholds, hand-raisers and stages', () => {
  it('qualifies when the thresholds pass, once; a hand-raiser qualifies at once', () => {
    expect(advanceStage('lead', { passesMql: true })).toEqual({ stage: 'mql', cause: 'threshold:mql' });
    expect(advanceStage('mql', { passesMql: true })).toBeUndefined();
    expect(advanceStage('lead', { passesMql: false, qualifies: 'sql', ruleId: 'demo' })).toEqual({ stage: 'sql', cause: 'rule:demo' });
    expect(advanceStage('sql', { passesMql: true, qualifies: 'mql', ruleId: 'demo' })).toBeUndefined();
    expect(advanceStage('disqualified', { passesMql: true, qualifies: 'sql' })).toBeUndefined();
  });
});

describe('rule versions', () => {
  it('change with any change to the rules', () => {
    const a = scoringSchema.parse({ engagement: [{ id: 'x', match: { type: 'pageview' }, points: 1 }] });
    const b = scoringSchema.parse({ engagement: [{ id: 'x', match: { type: 'pageview' }, points: 2 }] });
    expect(ruleVersion(a)).not.toBe(ruleVersion(b));
    expect(ruleVersion(a)).toBe(ruleVersion(scoringSchema.parse(JSON.parse(JSON.stringify(a)))));
  });

  it('reject a bad rule with a message naming it', () => {
    const bad = scoringSchema.safeParse({ engagement: [{ id: 'a', match: { type: 'pageview' }, points: 1 }, { id: 'a', match: {}, points: 1 }], fit: [{ id: 'b', trait: 'jobTitle', matches: '(', points: 1 }] });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toContain('engagement.1.id: duplicate rule id "a"');
    expect(messages.some((m) => m.startsWith('fit.0') && m.includes('not a valid regular expression'))).toBe(true);
  });

  it('refuse points no score could add up (1e308 made every score Infinity, answered as null), naming the rule', () => {
    const huge = scoringSchema.safeParse({ engagement: [{ id: 'x', match: { type: 'pageview' }, points: 1e308 }], fit: [{ id: 'y', trait: 'country', in: ['DE'], points: -1e7 }], thresholds: { mql: { engagement: 1e300 } } });
    expect(huge.success).toBe(false);
    expect(huge.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['engagement.0.points', 'fit.0.points', 'thresholds.mql.engagement']);
    // The largest allowed, on every event of a busy year, still sums to a finite, exact score.
    const busy = scorerOf({ engagement: [{ id: 'x', match: { type: 'pageview' }, points: MAX_RULE_POINTS }] });
    const { state } = run(busy, Array.from({ length: 2000 }, () => ev({ type: 'pageview' })));
    const { engagement } = busy.scoresAt(state, T0);
    expect(engagement).toBe(2000 * MAX_RULE_POINTS);
  });
});

describe('replay', () => {
  it('gives the same state whatever order events arrive in', () => {
    const scorer = scorerOf({ engagement: [{ id: 'a', match: { type: 'pageview' }, points: 3, limit: { max: 2, perDays: 1 } }] });
    const events = [ev({ ts: T0 }), ev({ ts: T0 + 10 }), ev({ ts: T0 + 5 })];
    expect(replay(scorer, events).state).toEqual(replay(scorer, [...events].reverse()).state);
  });
});

describe('recycled leads', () => {
  it('qualify again by a hand-raiser after recycling, or by score only after a 30-day cool-off', () => {
    const recycledAt = T0;
    expect(advanceStage('recycled', { passesMql: true, at: T0 + DAY, recycledAt })).toBeUndefined();
    expect(advanceStage('recycled', { passesMql: true, at: T0 + 31 * DAY, recycledAt })).toEqual({ stage: 'mql', cause: 'threshold:mql' });
    expect(advanceStage('recycled', { passesMql: false, qualifies: 'sql', ruleId: 'demo', at: T0 + 1, recycledAt })).toEqual({ stage: 'sql', cause: 'rule:demo' });
    expect(advanceStage('recycled', { passesMql: false, qualifies: 'sql', ruleId: 'demo', at: T0 - 1, recycledAt })).toBeUndefined();
  });
});

describe('one rounding rule', () => {
  const scorer = scorerOf({
    halfLifeDays: 7,
    caps: { engagement: 60, fit: 20 },
    engagement: [
      { id: 'view', match: { type: 'pageview' }, points: 3 },
      { id: 'download', match: { type: 'download' }, points: 7 },
      { id: 'careers', match: { type: 'pageview', path: '/careers' }, points: -2 },
    ],
    fit: [
      { id: 'cfo', trait: 'jobTitle', matches: 'cfo', points: 15 },
      { id: 'size', trait: 'companySize', in: ['51-200'], points: 10 },
    ],
  });
  const history = fc.array(
    fc.record({ type: fc.constantFrom('pageview', 'download'), path: fc.constantFrom('/', '/careers'), gap: fc.integer({ min: 0, max: 20 * DAY }) }),
    { minLength: 1, maxLength: 40 },
  );

  it('scores a lead and explains it with the same figures, the items summing exactly to them', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 90 * DAY }), fc.boolean(), (steps, later, fits) => {
        let ts = T0;
        const events = steps.map((s, i) => ev({ type: s.type, path: s.path, ts: (ts += s.gap), traits: i === 0 && fits ? { jobTitle: 'CFO', companySize: '51-200' } : null }));
        const { state, results } = run(scorer, events);
        const at = ts + later;
        const explained = scorer.explain(results.flatMap((r) => r.hits), scorer.fitHits(state.traits), at);
        const { items, ...figures } = explained;
        expect(figures).toEqual(scorer.scoresAt(state, at));
        const sum = (kind: string) => Math.round(items.filter((i) => i.kind === kind).reduce((a, i) => a + i.remaining, 0) * 100) / 100;
        expect(sum('engagement')).toBe(explained.engagement);
        expect(sum('fit')).toBe(explained.fit);
      }),
      { numRuns: 300 },
    );
  });

  it('adds a rounding line where the rounded items do not add up to the figure', () => {
    // Three items of 3 × 2^-(1/7) ≈ 2.7172 each: 8.15 in all, but 2.72 × 3 = 8.16.
    const { state, results } = run(scorer, [ev({ sessionId: 'a' }), ev({ sessionId: 'b' }), ev({ sessionId: 'c' })]);
    const explained = scorer.explain(results.flatMap((r) => r.hits), [], T0 + DAY);
    expect(explained.engagement).toBe(scorer.scoresAt(state, T0 + DAY).engagement);
    expect(explained.items.map((i) => [i.ruleId, i.remaining])).toEqual([['view', 2.72], ['view', 2.72], ['view', 2.72], ['rounding:engagement', -0.01]]);
  });
});
