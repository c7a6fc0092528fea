import { sql, type Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { handoverChanges } from '../reports/handoverChanges.js';
import type { Stage } from '../scoring/lifecycle.js';
import { deadlineOf, responseMinutesOf } from './handovers.js';
/** An MQL sales has not answered yet. */
export interface OpenMql {
  leadId: string;
  email: string;
  company: string | null;
  stage: Stage;
  qualifiedAt: string;
  deadline: string;
  /** Past its deadline: flagged on the overview. */
  overdue: boolean;
  /** How long past the deadline (0 when not yet due). */
  overdueMinutes: number;
}

export interface FollowUpSummary {
  site: string;
  from: string;
  to: string;
  responseMinutes: number;
  /** Handovers to sales in the period. */
  mqls: number;
  /** Answered at all, and answered within the agreement (count and share of all MQLs; null without MQLs). */
  answered: number;
  answeredWithin: { count: number; share: number | null };
  /** Not answered yet, and of those past their deadline. */
  open: number;
  overdue: number;
  /** Open MQLs, overdue first and oldest first, at most `listLimit`. */
  openLeads: OpenMql[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How sales kept the follow-up agreement for MQLs handed over in [from, to): how many were
 * answered (any feedback after the handover) and how many within the site's response time,
 * and which are still open and overdue (a short list, for the overview's flags). Counted in
 * SQL from the period's handovers with their first answer and whether sales still owes one,
 * kept on the stage change (migration 018: one index range by site and time, no lead read but
 * the listed ones), so only the short open list leaves the database.
 *
 * @example
 * const summary = await followUpSummary(db, site, { from: Date.now() - 7 * 86_400_000, to: Date.now(), now: Date.now() });
 * summary.answeredWithin // { count: 12, share: 0.8 }
 */
export async function followUpSummary(
  db: Kysely<Database>,
  site: { key: string; followUp?: { mqlResponseMinutes: number } },
  { from, to, now = Date.now(), listLimit = 20 }: { from: number; to: number; now?: number; listLimit?: number },
): Promise<FollowUpSummary> {
  const minutes = responseMinutesOf(site);
  const ms = minutes * 60_000;
  const handovers = handoverChanges(db, site.key).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to);
  // Open: unanswered while the lead is MQL or SQL (`awaiting`, kept with every stage change and
  // answer: a rescore that took it back below MQL leaves sales nothing to answer).
  const [totals, openRows] = await Promise.all([
    handovers
      .select([
        sql<number | string>`count(*)`.as('mqls'),
        sql<number | string>`count(stage_changes.first_answer_at)`.as('answered'),
        sql<number | string>`coalesce(sum(case when stage_changes.first_answer_at <= stage_changes.at + ${ms} then 1 else 0 end), 0)`.as('within'),
        sql<number | string>`coalesce(sum(stage_changes.awaiting), 0)`.as('open'),
        sql<number | string>`coalesce(sum(case when stage_changes.awaiting = 1 and stage_changes.at + ${ms} < ${now} then 1 else 0 end), 0)`.as('overdue'),
      ])
      .executeTakeFirstOrThrow(),
    // Overdue first and oldest first is simply oldest first: the deadline grows with the handover time.
    handovers.select(['stage_changes.lead_id', 'stage_changes.at']).where('stage_changes.awaiting', '=', 1).orderBy('stage_changes.at').orderBy('stage_changes.id').limit(listLimit).execute(),
  ]);
  const leadIds = [...new Set(openRows.map((r) => r.lead_id))];
  const leads = new Map((leadIds.length ? await db.selectFrom('leads').select(['id', 'email', 'traits', 'stage']).where('id', 'in', leadIds).execute() : []).map((l) => [l.id, l]));
  const mqls = Number(totals.mqls);
  const within = Number(totals.within);
  return {
    site: site.key,
    from: iso(from),
    to: iso(to),
    responseMinutes: minutes,
    mqls,
    answered: Number(totals.answered),
    answeredWithin: { count: within, share: mqls ? Math.round((within / mqls) * 1000) / 1000 : null },
    open: Number(totals.open),
    overdue: Number(totals.overdue),
    openLeads: openRows.map((r) => {
      const at = Number(r.at);
      const deadline = deadlineOf(at, minutes);
      const overdue = now > deadline;
      const lead = leads.get(r.lead_id)!;
      return { leadId: r.lead_id, email: lead.email, company: fromJson(lead.traits).company ?? null, stage: lead.stage as Stage, qualifiedAt: iso(at), deadline: iso(deadline), overdue, overdueMinutes: overdue ? Math.floor((now - deadline) / 60_000) : 0 };
    }),
  };
}
