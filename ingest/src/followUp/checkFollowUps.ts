import type { Kysely } from 'kysely';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { enqueueSlaBreach } from '../webhooks/outbox.js';
import { deadlineOf, handoversOf, responseMinutesOf } from './handovers.js';

/**
 * Deadlines that passed longer ago than this are not raised any more: a first start (or a
 * process down for a day) must not flood sales with alarms about MQLs long gone.
 */
export const BREACH_LOOKBACK_MS = 24 * 3_600_000;

/**
 * Raises `lead.sla_breached` for every MQL whose follow-up deadline (its handover plus the
 * site's `followUp.mqlResponseMinutes`) has passed without sales feedback, and that is still
 * MQL or SQL. Each breach is claimed by inserting its row (keyed by the handover), and its
 * deliveries go to the webhook outbox in the same transaction: with any number of processes
 * checking, a breach is raised exactly once. Returns how many this call raised.
 *
 * @example
 * const raised = await checkFollowUps(db, config, Date.now());
 */
export async function checkFollowUps(db: Kysely<Database>, config: LeadbeamConfig, now = Date.now()): Promise<number> {
  let raised = 0;
  for (const site of config.sites) {
    const minutes = responseMinutesOf(site);
    const ms = minutes * 60_000;
    // Answered at the deadline itself is in time: due only once it has passed.
    const due = (
      await handoversOf(db, site.key, {
        from: now - ms - BREACH_LOOKBACK_MS,
        to: now - ms,
        refine: (q) =>
          q
            .where(({ not, exists, selectFrom }) => not(exists(selectFrom('follow_up_breaches').select('handover_id').whereRef('follow_up_breaches.handover_id', '=', 'stage_changes.id'))))
            // No feedback from the handover to its deadline: its first answer (kept on it) is later, or none yet.
            .where((eb) => eb.or([eb('stage_changes.first_answer_at', 'is', null), eb('stage_changes.first_answer_at', '>', eb('stage_changes.at', '+', ms))])),
      })
    ).filter((h) => h.lead.stage === 'mql' || h.lead.stage === 'sql');
    for (const handover of due) {
      const qualifiedAt = handover.at;
      const deadlineAt = deadlineOf(qualifiedAt, minutes);
      raised += await db.transaction().execute(async (trx) => {
        const claim = await trx
          .insertInto('follow_up_breaches')
          .values({ handover_id: handover.id, site_id: site.key, lead_id: handover.leadId, qualified_at: qualifiedAt, deadline_at: deadlineAt, breached_at: now })
          .onConflict((oc) => oc.column('handover_id').doNothing())
          .executeTakeFirst();
        // Another process claimed it first: it raises it.
        if (!Number(claim.numInsertedOrUpdatedRows ?? 0)) return 0;
        await enqueueSlaBreach(trx, { leadId: handover.leadId, qualifiedAt, deadlineAt, responseMinutes: minutes }, now);
        return 1;
      });
    }
  }
  return raised;
}
