/**
 * Where scoring's persistence used to live, kept as a thin map to the modules that now own
 * each part (the pipeline, leads, identity, replay), for callers not yet moved.
 */
import type { Kysely } from 'kysely';
import type { ChangeSource, Database } from '../db/schema.js';
import { recordStageChanges as record } from '../leads/leadStore.js';
import type { StageChange } from './runLead.js';

export { newId } from '../ids.js';
export { leadSubject, visitorSubject, eventsOfLead, recycledSince } from '../leads/leadStore.js';
export { MAX_VISITORS_PER_LEAD } from '../identity/linkVisitorsToLeads.js';
export { replayLead } from '../replay/replaySubject.js';
export { runLead, toScoredEvent, type StageChange } from './runLead.js';

/** Records one lead's stage changes with their webhook deliveries (see `leads/leadStore.ts`). */
export async function recordStageChanges(trx: Kysely<Database>, leadId: string, changes: StageChange[], source: ChangeSource, version: string) {
  await record(trx, changes.map((c) => ({ ...c, leadId, source, ruleVersion: version })), Date.now());
}
