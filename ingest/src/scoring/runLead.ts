import type { Selectable } from 'kysely';
import type { EventsTable } from '../db/schema.js';
import { fromJsonOrNull } from '../db/json.js';
import type { RuleHit, ScoredEvent, ScoreState, Scorer } from './engine.js';
import { advanceStage, type Stage } from './lifecycle.js';

/** A move from one stage to another, with what caused it and the scores at that moment. */
export interface StageChange {
  from: Stage;
  to: Stage;
  at: number;
  cause: string;
  engagement: number;
  fit: number;
}

/**
 * A stored event as scoring sees it.
 *
 * @example
 * const events = rows.map(toScoredEvent);
 */
export function toScoredEvent(e: Selectable<EventsTable> | EventsTable): ScoredEvent {
  return {
    id: e.id,
    ts: e.ts,
    type: e.type,
    name: e.name,
    path: e.path,
    stage: e.stage,
    category: e.category,
    visit: e.visit,
    sessionId: e.session_id,
    props: fromJsonOrNull(e.props),
    traits: fromJsonOrNull(e.traits),
    trusted: e.trusted === 1,
  };
}

/**
 * Runs events through scoring and the lifecycle from a given state and stage: the one path
 * that both incremental scoring and a full replay take, so the two cannot disagree. Pure.
 *
 * @example
 * const { state, stage, hits, changes } = runLead(scorer, { state: emptyState(), stage: 'lead' }, events);
 */
export function runLead(scorer: Scorer, start: { state: ScoreState; stage: Stage; recycledAt?: number }, events: ScoredEvent[]) {
  let { state, stage } = start;
  const { recycledAt } = start;
  const hits: RuleHit[] = [];
  const changes: StageChange[] = [];
  for (const e of events) {
    const result = scorer.scoreEvent(state, e);
    state = result.state;
    hits.push(...result.hits);
    const scores = scorer.scoresAt(state, e.ts);
    const next = advanceStage(stage, { passesMql: scorer.passesMql(scores), qualifies: result.qualifies, ruleId: result.qualifiedBy, at: e.ts, recycledAt });
    if (next) {
      changes.push({ from: stage, to: next.stage, at: e.ts, cause: next.cause, engagement: scores.engagement, fit: scores.fit });
      stage = next.stage;
    }
  }
  return { state, stage, hits, changes };
}
