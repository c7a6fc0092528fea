import type { ScoringRules } from '../../scoring/rulesSchema.js';

/** What the dashboard's draft form changes: the MQL thresholds, the half-life and rules' points. */
export interface DraftEdits {
  mqlEngagement?: number;
  mqlFit?: number;
  halfLifeDays?: number;
  /** Points by rule id (engagement and fit rules). */
  points: Map<string, number>;
}

/** Form fields of the draft form: `mqlEngagement`, `mqlFit`, `halfLifeDays`, and `points.<rule id>`. */
const POINTS = 'points.';
/** A number as a person types it: decimal, an optional sign, decimals and exponent (not `0x10`, not `Infinity`). */
const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;
/** Far beyond any score, and still exact as JSON. */
export const MAX_DRAFT_NUMBER = 1_000_000_000;

/**
 * Reads the draft form's fields: numbers, each named by its field when it is not one. A field
 * left as it was shown (`was.<field>`), or emptied, leaves the draft's value as it is.
 *
 * @example
 * readDraftEdits({ mqlEngagement: '50', 'points.pricing-page': '12' })
 * // { edits: { mqlEngagement: 50, points: Map { 'pricing-page' => 12 } } }
 */
export function readDraftEdits(body: Record<string, unknown>): { edits: DraftEdits } | { field: string; message: string } {
  const edits: DraftEdits = { points: new Map() };
  for (const [field, raw] of Object.entries(body)) {
    const known = field === 'mqlEngagement' || field === 'mqlFit' || field === 'halfLifeDays' || field.startsWith(POINTS);
    if (!known || typeof raw !== 'string' || raw.trim() === '' || body[`was.${field}`] === raw) continue;
    const value = Number(raw);
    if (!DECIMAL.test(raw) || !Number.isFinite(value)) return { field, message: `${field}: "${raw}" is not a number` };
    if (Math.abs(value) > MAX_DRAFT_NUMBER) return { field, message: `${field}: ${raw} is beyond ±${MAX_DRAFT_NUMBER.toLocaleString('en')}` };
    if (field.startsWith(POINTS)) edits.points.set(field.slice(POINTS.length), value);
    else edits[field as 'mqlEngagement' | 'mqlFit' | 'halfLifeDays'] = value;
  }
  return { edits };
}

/**
 * The rules with the form's edits applied, as a copy, what changed in words (for the page's
 * notice), and the rule ids whose points could not be applied because the draft (its JSON, as
 * posted) no longer has them: the page names them. The caller validates the result as any draft.
 *
 * @example
 * applyDraftEdits(rules, { mqlEngagement: 50, points: new Map([['pricing-page', 12]]) })
 * // { rules: { …, thresholds: { mql: { engagement: 50, … } } }, changes: ['MQL engagement threshold 60 → 50', 'pricing-page points 10 → 12'] }
 */
export function applyDraftEdits(rules: ScoringRules, edits: DraftEdits): { rules: ScoringRules; changes: string[]; unknown: string[] } {
  const next = structuredClone(rules);
  const changes: string[] = [];
  const set = (label: string, from: number, to: number | undefined, apply: (v: number) => void) => {
    if (to === undefined || to === from) return;
    apply(to);
    changes.push(`${label} ${from} → ${to}`);
  };
  set('MQL engagement threshold', next.thresholds.mql.engagement, edits.mqlEngagement, (v) => (next.thresholds.mql.engagement = v));
  set('MQL fit threshold', next.thresholds.mql.fit, edits.mqlFit, (v) => (next.thresholds.mql.fit = v));
  set('Half-life (days)', next.halfLifeDays, edits.halfLifeDays, (v) => (next.halfLifeDays = v));
  const all = [...next.engagement, ...next.fit];
  for (const rule of all) set(`${rule.id} points`, rule.points, edits.points.get(rule.id), (v) => (rule.points = v));
  const ids = new Set(all.map((r) => r.id));
  return { rules: next, changes, unknown: [...edits.points.keys()].filter((id) => !ids.has(id)) };
}
