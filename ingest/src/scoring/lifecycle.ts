import type { Qualification } from './engine.js';

/** A lead's stages, in the order scoring may move it forward. */
export const STAGES = ['visitor', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'recycled', 'disqualified'] as const;
export type Stage = (typeof STAGES)[number];

const RANK: Record<Stage, number> = { visitor: 0, lead: 1, recycled: 1, mql: 2, sql: 3, opportunity: 4, customer: 5, disqualified: -1 };

/** A recycled lead is not re-qualified by its score for this long after sales sent it back. */
export const RECYCLE_COOL_OFF_MS = 30 * 86_400_000;

/**
 * Where scoring takes a lead after an event. Scoring only moves leads forward: a threshold
 * or hand-raiser that the lead has already passed never fires again. A recycled lead (sent back
 * to nurture by sales) qualifies again through a hand-raiser after it was recycled, or by its
 * score at an event 30 days or more after it was recycled (so that a score still above the
 * threshold does not bounce it straight back to sales); a disqualified one never moves by
 * scoring.
 *
 * @example
 * advanceStage('lead', { passesMql: true }) // { stage: 'mql', cause: 'threshold:mql' }
 */
export function advanceStage(
  current: Stage,
  { passesMql, qualifies, ruleId, at = 0, recycledAt = 0 }: { passesMql: boolean; qualifies?: Qualification; ruleId?: string; at?: number; recycledAt?: number },
): { stage: Stage; cause: string } | undefined {
  if (current === 'disqualified') return undefined;
  if (current === 'recycled') {
    if (at <= recycledAt) return undefined;
    if (!qualifies && at < recycledAt + RECYCLE_COOL_OFF_MS) return undefined;
  }
  const target: Stage | undefined = qualifies === 'sql' ? 'sql' : qualifies === 'mql' || passesMql ? 'mql' : undefined;
  if (!target || RANK[target] <= RANK[current]) return undefined;
  return { stage: target, cause: qualifies ? `rule:${ruleId}` : 'threshold:mql' };
}
