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
 * answered (their first feedback after the handover) and how many within the site's response
 * time, and which are still open and overdue (a short list, for the overview's flags). The
 * answers are read where sales feedback stores them with the handover they answer
 * (`feedback.handover_at`, `response_ms`: the speed-to-lead figures), by an index on time; the
 * open ones are the period's handovers with no feedback since, each checked by index.
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
  const inPeriod = () => handoverChanges(db, site.key).where('stage_changes.at', '>=', from).where('stage_changes.at', '<', to);
  const [totals, answers, openRows] = await Promise.all([
    inPeriod().select(sql<number | string>`count(*)`.as('mqls')).executeTakeFirstOrThrow(),
    db
      .selectFrom('feedback')
      .select([sql<number | string>`count(*)`.as('answered'), sql<number | string>`coalesce(sum(case when feedback.response_ms <= ${ms} then 1 else 0 end), 0)`.as('within')])
      .where(({ exists, selectFrom }) => exists(selectFrom('leads').select('leads.id').whereRef('leads.id', '=', 'feedback.lead_id').where('leads.site_id', '=', site.key).where('leads.merged_into', 'is', null)))
      .where('feedback.response_ms', 'is not', null)
      .where('feedback.handover_at', '>=', from)
      .where('feedback.handover_at', '<', to)
      .executeTakeFirstOrThrow(),
    // Unanswered and still MQL or SQL (a rescore that took it back below MQL leaves sales nothing to answer).
    inPeriod()
      .select(['stage_changes.id', 'stage_changes.lead_id', 'stage_changes.at'])
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('feedback').select('feedback.id').whereRef('feedback.lead_id', '=', 'stage_changes.lead_id').whereRef('feedback.at', '>=', 'stage_changes.at'))))
      .where(({ exists, selectFrom }) => exists(selectFrom('leads').select('leads.id').whereRef('leads.id', '=', 'stage_changes.lead_id').where('leads.stage', 'in', ['mql', 'sql'])))
      // Overdue first and oldest first is simply oldest first: the deadline grows with the handover time.
      .orderBy('stage_changes.at')
      .orderBy('stage_changes.id')
      .execute(),
  ]);
  const open = openRows.map((r) => ({ lead_id: r.lead_id, at: Number(r.at) }));
  const overdueCount = open.filter((r) => r.at + ms < now).length;
  const listed = open.slice(0, listLimit);
  const leadIds = [...new Set(listed.map((r) => r.lead_id))];
  const leads = new Map((leadIds.length ? await db.selectFrom('leads').select(['id', 'email', 'traits', 'stage']).where('id', 'in', leadIds).execute() : []).map((l) => [l.id, l]));
  const mqls = Number(totals.mqls);
  const within = Number(answers.within);
  return {
    site: site.key,
    from: iso(from),
    to: iso(to),
    responseMinutes: minutes,
    mqls,
    answered: Number(answers.answered),
    answeredWithin: { count: within, share: mqls ? Math.round((within / mqls) * 1000) / 1000 : null },
    open: open.length,
    overdue: overdueCount,
    openLeads: listed.map((r) => {
      const at = Number(r.at);
      const deadline = deadlineOf(at, minutes);
      const overdue = now > deadline;
      const lead = leads.get(r.lead_id)!;
      return { leadId: r.lead_id, email: lead.email, company: fromJson(lead.traits).company ?? null, stage: lead.stage as Stage, qualifiedAt: iso(at), deadline: iso(deadline), overdue, overdueMinutes: overdue ? Math.floor((now - deadline) / 60_000) : 0 };
    }),
  };
}
