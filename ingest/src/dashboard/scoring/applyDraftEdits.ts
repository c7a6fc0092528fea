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
    if (!Number.isFinite(value)) return { field, message: `${field}: "${raw}" is not a number` };
    if (field.startsWith(POINTS)) edits.points.set(field.slice(POINTS.length), value);
    else edits[field as 'mqlEngagement' | 'mqlFit' | 'halfLifeDays'] = value;
  }
  return { edits };
}

/**
 * The rules with the form's edits applied, as a copy, and what changed in words (for the page's
 * notice). Points of a rule id the draft does not have are ignored: the form was made from
 * another draft. The caller validates the result as any draft.
 *
 * @example
 * applyDraftEdits(rules, { mqlEngagement: 50, points: new Map([['pricing-page', 12]]) })
 * // { rules: { …, thresholds: { mql: { engagement: 50, … } } }, changes: ['MQL engagement threshold 60 → 50', 'pricing-page points 10 → 12'] }
 */
export function applyDraftEdits(rules: ScoringRules, edits: DraftEdits): { rules: ScoringRules; changes: string[] } {
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
  for (const rule of [...next.engagement, ...next.fit]) set(`${rule.id} points`, rule.points, edits.points.get(rule.id), (v) => (rule.points = v));
  return { rules: next, changes };
}
