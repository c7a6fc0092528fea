import type { LeadTraits } from '../../../shared/src/types.js';
import { compilePathPattern, normalisePath } from '../config/pageRules.js';
import { FREEMAIL_DOMAINS } from './freemail.js';
import { compileGlob } from './linearGlob.js';
import { compileRulePattern } from './rulePattern.js';
import { ruleVersion, type EngagementRule, type ScoringRules } from './rulesSchema.js';

/** What scoring needs to know of a stored event. */
export interface ScoredEvent {
  id: string;
  ts: number;
  type: string;
  name: string | null;
  path: string;
  stage: string | null;
  category: string | null;
  visit: number;
  sessionId: string;
  props: Record<string, unknown> | null;
  /** Traits a form or identify event carried. */
  traits: LeadTraits | null;
  /**
   * Sent by a browser that does not own its lead's traits (it claimed a known lead's email, or
   * came with a merged lead): its traits only fill what is still unknown, in replays too.
   */
  claimant?: boolean;
  /** Sent with a secret key (a backend, a CRM): no browser can forge it. */
  trusted?: boolean;
}

/**
 * Everything incremental scoring carries from one event to the next. Its size is bounded by
 * the rule set, never by the history: work per event stays the same however old the lead.
 */
export interface ScoreState {
  /** Engagement points, decayed to `at`. */
  engagement: number;
  /** Time of the last event applied (ms), and its id: events apply in (ts, id) order. */
  at: number;
  lastId: string;
  /** Recent visits (session ids), newest last, to tell the first event of a visit. */
  visits: string[];
  /** Per rule: when it last gave points (ts), or the visits it gave points in. */
  fired: Record<string, Array<number | string>>;
  /** Traits from forms and identify calls so far: later values win, empty ones never erase. */
  traits: LeadTraits;
  /**
   * The rule version the state was scored under (absent in states kept before it was recorded):
   * an anonymous visitor's state from older rules is replayed, as a lead's is by its `rule_version`.
   */
  rules?: string;
}

export interface RuleHit {
  eventId: string;
  ruleId: string;
  points: number;
  ts: number;
}

export type Qualification = 'mql' | 'sql';

export const emptyState = (): ScoreState => ({ engagement: 0, at: 0, lastId: '', visits: [], fired: {}, traits: {} });

const DAY_MS = 86_400_000;
const RECENT_VISITS = 20;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** True when (ts, id) comes after the state's last event: the event can apply incrementally. */
export const comesAfter = (state: ScoreState, e: { ts: number; id: string }) => e.ts > state.at || (e.ts === state.at && e.id > state.lastId);

/**
 * Compiles a site's scoring rules into pure functions: the same events and rule version
 * always give the same scores.
 *
 * @example
 * const scorer = createScorer(site.scoring);
 * const { state, hits } = scorer.scoreEvent(emptyState(), event);
 */
export function createScorer(rules: ScoringRules) {
  const halfLifeMs = rules.halfLifeDays * DAY_MS;
  const version = ruleVersion(rules);
  // Every user-written pattern is compiled once here and matched in linear time: `*` in a name
  // is any text but a line break (as `.*` was), case-insensitive; fit rules' regular
  // expressions run on RE2JS, never on V8's backtracking engine.
  const nameGlob = (pattern: string) => compileGlob(pattern.split('*').flatMap((text, i) => (i ? [{ wildcard: 'line' as const }, text] : [text])), { ignoreCase: true });
  const fitPatterns = new Map(rules.fit.flatMap((rule) => (rule.matches ? [[rule, compileRulePattern(rule.matches)] as const] : [])));

  const compiled = rules.engagement.map((rule) => {
    const m = rule.match;
    const path = m.path ? compilePathPattern(m.path) : undefined;
    const name = m.name ? nameGlob(m.name) : undefined;
    return {
      rule,
      test(e: ScoredEvent, visitStart: boolean): boolean {
        if (m.type === 'visit' ? !visitStart : m.type && m.type !== e.type) return false;
        if (m.stage && m.stage !== e.stage) return false;
        if (m.category && m.category !== e.category) return false;
        if (path && !path.test(normalisePath(e.path))) return false;
        if (name && !name.test(e.name ?? '')) return false;
        if (m.visit && (m.visit === 'first') !== (e.visit === 1)) return false;
        if (m.props && Object.entries(m.props).some(([k, v]) => e.props?.[k] !== v)) return false;
        if (m.minEngagedSeconds !== undefined && !(Number(e.props?.engagedMs) >= m.minEngagedSeconds * 1000)) return false;
        if (m.minScrollDepth !== undefined && !(Number(e.props?.scrollDepth) >= m.minScrollDepth)) return false;
        if (m.sentBy === 'server' && !e.trusted) return false;
        return true;
      },
    };
  });

  /** Whether the rule's frequency limit lets it give points now; records the firing if so. */
  function mayFire(rule: EngagementRule, fired: ScoreState['fired'], e: ScoredEvent): boolean {
    const past = fired[rule.id] ?? [];
    const limit = rule.limit;
    if (limit === 'once' && past.length) return false;
    if (limit === 'oncePerVisit') {
      if (past.includes(e.sessionId)) return false;
      fired[rule.id] = [...past, e.sessionId].slice(-RECENT_VISITS);
      return true;
    }
    if (typeof limit === 'object') {
      const recent = (past as number[]).filter((t) => t > e.ts - limit.perDays * DAY_MS);
      if (recent.length >= limit.max) return false;
      fired[rule.id] = [...recent, e.ts];
      return true;
    }
    if (limit === 'once') fired[rule.id] = [e.ts];
    return true;
  }

  /** Engagement of a state as of `at` (ms), decayed; before any cap. */
  const engagementAt = (state: ScoreState, at: number) => (state.at ? state.engagement * 2 ** (-(Math.max(at, state.at) - state.at) / halfLifeMs) : 0);

  /**
   * Applies one event (which must come after the state's last one): the rule hits it earns,
   * the new state, and a hand-raiser's qualification if one matched.
   */
  function scoreEvent(state: ScoreState, e: ScoredEvent): { state: ScoreState; hits: RuleHit[]; qualifies?: Qualification; qualifiedBy?: string } {
    const visitStart = !state.visits.includes(e.sessionId);
    const next: ScoreState = {
      engagement: engagementAt(state, e.ts),
      at: e.ts,
      lastId: e.id,
      visits: visitStart ? [...state.visits, e.sessionId].slice(-RECENT_VISITS) : state.visits,
      fired: { ...state.fired },
      traits: e.traits ? mergeTraits(state.traits, e.traits, e.claimant) : state.traits,
      rules: version,
    };
    const hits: RuleHit[] = [];
    let qualifies: Qualification | undefined;
    let qualifiedBy: string | undefined;
    for (const { rule, test } of compiled) {
      if (!test(e, visitStart) || !mayFire(rule, next.fired, e)) continue;
      next.engagement += rule.points;
      hits.push({ eventId: e.id, ruleId: rule.id, points: rule.points, ts: e.ts });
      if (rule.qualifies && qualifies !== 'sql') [qualifies, qualifiedBy] = [rule.qualifies, rule.id];
    }
    return { state: next, hits, qualifies, qualifiedBy };
  }

  /** Fit points from a lead's traits: each fit rule counts once. */
  function fitHits(traits: LeadTraits): Array<{ ruleId: string; points: number }> {
    const domain = traits.email?.split('@')[1]?.toLowerCase();
    return rules.fit
      .filter((rule) => {
        const value = (rule.trait === 'emailDomain' ? domain : traits[rule.trait])?.trim();
        if (!value) return false;
        if (fitPatterns.get(rule)?.test(value)) return true;
        return !!rule.in?.some((v) => (v === 'freemail' ? rule.trait === 'emailDomain' && FREEMAIL_DOMAINS.has(value.toLowerCase()) : v.toLowerCase() === value.toLowerCase()));
      })
      .map((rule) => ({ ruleId: rule.id, points: rule.points }));
  }

  /**
   * The one rounding rule of every score shown: the exact figure, capped, rounded once to two
   * decimals. `scoresAt` and `explain` both take it, so a lead and its explanation agree.
   */
  const figure = (exact: number, cap = Infinity) => round2(Math.min(exact, cap));

  /** Scores as of `at`: engagement decayed and capped, fit from the traits capped, and their total. */
  function scoresAt(state: ScoreState, at: number) {
    const engagement = figure(engagementAt(state, at), rules.caps.engagement);
    const fit = figure(fitHits(state.traits).reduce((a, h) => a + h.points, 0), rules.caps.fit);
    return { engagement, fit, total: round2(engagement + fit) };
  }

  /** Whether scores pass the MQL threshold. */
  const passesMql = (scores: { engagement: number; fit: number }) =>
    scores.engagement >= rules.thresholds.mql.engagement && scores.fit >= rules.thresholds.mql.fit;

  /**
   * The itemised score: every rule hit with the points it gave and what is left of them after
   * decay (rounded for display), plus a line for each cap and, where the rounded items do not
   * add up to the figure, a rounding line: the items sum exactly to the score shown, and the
   * score is the one `scoresAt` gives (the same rule: the exact total, capped, rounded once).
   */
  function explain(hits: RuleHit[], fit: Array<{ ruleId: string; points: number }>, at: number) {
    const decayed = (h: RuleHit) => h.points * 2 ** (-(Math.max(at, h.ts) - h.ts) / halfLifeMs);
    const engagementItems = hits.map((h) => ({ kind: 'engagement' as const, eventId: h.eventId, ruleId: h.ruleId, ts: h.ts, points: h.points, remaining: round2(decayed(h)) }));
    const fitItems = fit.map((f) => ({ kind: 'fit' as const, eventId: null, ruleId: f.ruleId, ts: null, points: f.points, remaining: f.points }));
    const exactEngagement = hits.reduce((a, h) => a + decayed(h), 0);
    const exactFit = fit.reduce((a, f) => a + f.points, 0);
    const engagement = figure(exactEngagement, rules.caps.engagement);
    const fitScore = figure(exactFit, rules.caps.fit);
    /** The cap and rounding lines that take the items' sum to the figure. */
    const closingLines = (kind: 'engagement' | 'fit', items: Array<{ remaining: number }>, exact: number, shown: number, cap?: number) => {
      const line = (ruleId: string, remaining: number) => ({ kind, eventId: null, ruleId, ts: null, points: 0, remaining });
      const sum = round2(items.reduce((a, i) => a + i.remaining, 0));
      const capped = cap !== undefined && exact > cap ? [line(`cap:${kind}`, round2(cap - sum))] : [];
      const rest = round2(shown - round2(sum + capped.reduce((a, i) => a + i.remaining, 0)));
      return [...capped, ...(rest ? [line(`rounding:${kind}`, rest)] : [])];
    };
    const items = [
      ...engagementItems,
      ...closingLines('engagement', engagementItems, exactEngagement, engagement, rules.caps.engagement),
      ...fitItems,
      ...closingLines('fit', fitItems, exactFit, fitScore, rules.caps.fit),
    ];
    return { engagement, fit: fitScore, total: round2(engagement + fitScore), items };
  }

  return { version, rules, scoreEvent, fitHits, scoresAt, passesMql, explain, engagementAt };
}

export type Scorer = ReturnType<typeof createScorer>;

/** Events in the order scoring applies them: by time, then id. */
export const sortEvents = <T extends { ts: number; id: string }>(events: T[]) =>
  [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * Scores a whole history from scratch, in (ts, id) order: what incremental scoring must equal.
 *
 * @example
 * const { state, hits } = replay(scorer, events);
 */
export function replay(scorer: Scorer, events: ScoredEvent[]) {
  let state = emptyState();
  const hits: RuleHit[] = [];
  for (const e of sortEvents(events)) {
    const result = scorer.scoreEvent(state, e);
    state = result.state;
    hits.push(...result.hits);
  }
  return { state, hits };
}

/**
 * Traits after an event's: what it gives (empty values give nothing) replaces what is known,
 * or, from a claimant, only fills what is still unknown. Pure.
 *
 * @example
 * mergeTraits({ jobTitle: 'CFO' }, { jobTitle: 'Intern', phone: '1' }, true) // { phone: '1', jobTitle: 'CFO' }
 */
export function mergeTraits(known: LeadTraits, given: LeadTraits, fillOnly = false): LeadTraits {
  const values = Object.fromEntries(Object.entries(given).filter(([, v]) => v));
  return fillOnly ? { ...values, ...known } : { ...known, ...values };
}
