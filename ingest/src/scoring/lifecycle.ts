import type { Qualification } from './engine.js';

/** A lead's stages, in the order scoring may move it forward. */
export const STAGES = ['visitor', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'recycled', 'disqualified'] as const;
export type Stage = (typeof STAGES)[number];

const RANK: Record<Stage, number> = { visitor: 0, lead: 1, recycled: 1, mql: 2, sql: 3, opportunity: 4, customer: 5, disqualified: -1 };

/**
 * Where scoring takes a lead after an event. Scoring only moves leads forward: a threshold
 * or hand-raiser that the lead has already passed never fires again. A recycled lead (sent back
 * to nurture by sales) counts as a plain lead again, so it qualifies once more when it crosses
 * the threshold anew; a disqualified one never moves by scoring.
 *
 * @example
 * advanceStage('lead', { passesMql: true }) // { stage: 'mql', cause: 'threshold:mql' }
 */
export function advanceStage(
  current: Stage,
  { passesMql, qualifies, ruleId }: { passesMql: boolean; qualifies?: Qualification; ruleId?: string },
): { stage: Stage; cause: string } | undefined {
  if (current === 'disqualified') return undefined;
  const target: Stage | undefined = qualifies === 'sql' ? 'sql' : qualifies === 'mql' || passesMql ? 'mql' : undefined;
  if (!target || RANK[target] <= RANK[current]) return undefined;
  return { stage: target, cause: qualifies ? `rule:${ruleId}` : 'threshold:mql' };
}
