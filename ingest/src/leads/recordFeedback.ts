import type { Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { newId } from '../ids.js';
import type { Scorer } from '../scoring/engine.js';
import type { Stage } from '../scoring/lifecycle.js';
import { stageAfterFeedback, type Feedback } from './feedback.js';
import { lockLeads, recordStageChanges, survivorOf } from './leadStore.js';

/** What one piece of sales feedback did to its lead. */
export interface RecordedFeedback {
  leadId: string;
  from: Stage;
  to: Stage;
  /** Speed to lead: from the handover to this, when it is the first answer since; else null. */
  responseMs: number | null;
}

/**
 * Stores sales feedback on a lead at `at`, in one transaction under the lead's lock: the
 * feedback row (with the response time when it is the first answer since the lead was handed
 * to sales), the first answer of the handovers it answers, the stage change it causes (handed to the webhook outbox) and the lead's new
 * stage. Feedback on a merged lead's id goes to the lead it was merged into. Throws an
 * `ApiError` (404, 409) when the lead is unknown or the feedback does not fit its stage;
 * nothing is stored then. The API route and the demo data both go through here.
 *
 * @example
 * const { from, to, responseMs } = await recordFeedback(db, scorers, 'ld_123', { type: 'accepted', by: 'sam@northwind.example' }, Date.now());
 */
export async function recordFeedback(db: Kysely<Database>, scorers: Map<string, Scorer>, leadId: string, feedback: Feedback, at: number): Promise<RecordedFeedback> {
  return db.transaction().execute(async (trx) => {
    // Locked: feedback and live scoring of the same lead never interleave. A merged lead's id
    // (a CRM keeps the one its webhooks named) stands for the lead it was merged into, as in lookups.
    const lead = survivorOf(await lockLeads(trx, [leadId]), leadId);
    if (!lead) throw new ApiError(404, 'not_found', `id: no lead "${leadId}"`, { field: 'id' });
    const next = stageAfterFeedback(lead.stage, feedback);
    if ('error' in next) throw new ApiError(409, 'conflict', next.error);
    // Speed to lead: the first feedback after the lead was handed to sales, a handover as the
    // follow-up agreement and the reports count it (`reports/handoverChanges.ts`): scoring, live
    // or in a rescore, taking the lead from below MQL to MQL or SQL (not a later MQL → SQL step).
    const handover = await trx
      .selectFrom('stage_changes')
      .select('at')
      .where('lead_id', '=', lead.id)
      .where('source', 'in', ['scoring', 'rescore'])
      .where('from_stage', 'in', ['visitor', 'lead', 'recycled'])
      .where('to_stage', 'in', ['mql', 'sql'])
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const answered = handover && (await trx.selectFrom('feedback').select('id').where('lead_id', '=', lead.id).where('at', '>=', handover.at).limit(1).executeTakeFirst());
    const responseMs = handover && !answered ? at - handover.at : null;
    const reason = 'reason' in feedback ? feedback.reason : null;
    await trx
      .insertInto('feedback')
      .values({ id: newId('fb'), lead_id: lead.id, type: feedback.type, reason, note: feedback.note ?? null, by_user: feedback.by ?? null, at, handover_at: responseMs !== null ? handover!.at : null, response_ms: responseMs })
      .execute();
    // The lead's handovers this feedback answers first (at or before it, unanswered or answered
    // only later: feedback can be recorded with an earlier time), kept on the handover for the
    // follow-up agreement, speed to lead and the breach checker (migration 018).
    await trx
      .updateTable('stage_changes')
      .set({ first_answer_at: at, awaiting: 0 })
      .where('lead_id', '=', lead.id)
      .where('handover', '=', 1)
      .where('at', '<=', at)
      .where((eb) => eb.or([eb('first_answer_at', 'is', null), eb('first_answer_at', '>', at)]))
      .execute();
    const scorer = scorers.get(lead.site_id);
    const scores = scorer ? scorer.scoresAt(fromJson(lead.score_state), at) : { engagement: 0, fit: 0 };
    const cause = `feedback:${feedback.type}${reason ? `:${reason}` : ''}`;
    await recordStageChanges(trx, [{ leadId: lead.id, from: lead.stage, to: next.stage, at, cause, engagement: scores.engagement, fit: scores.fit, source: 'api', ruleVersion: lead.rule_version }], at);
    await trx.updateTable('leads').set({ stage: next.stage, updated_at: at }).where('id', '=', lead.id).execute();
    return { leadId: lead.id, from: lead.stage, to: next.stage, responseMs };
  });
}
