import type { Kysely } from 'kysely';
import { fromJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import type { Stage } from '../scoring/lifecycle.js';
import { deadlineOf, handoversOf, responseMinutesOf } from './handovers.js';

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
 * and which are still open and overdue (a short list, for the overview's flags).
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
  const handovers = await handoversOf(db, site.key, { from, to });
  const leadIds = [...new Set(handovers.map((h) => h.leadId))];
  const answers = new Map<string, number[]>();
  for (let i = 0; i < leadIds.length; i += 500) {
    const rows = await db.selectFrom('feedback').select(['lead_id', 'at']).where('lead_id', 'in', leadIds.slice(i, i + 500)).where('at', '>=', from).orderBy('at').execute();
    for (const r of rows) answers.set(r.lead_id, [...(answers.get(r.lead_id) ?? []), Number(r.at)]);
  }
  const summary: FollowUpSummary = { site: site.key, from: iso(from), to: iso(to), responseMinutes: minutes, mqls: handovers.length, answered: 0, answeredWithin: { count: 0, share: null }, open: 0, overdue: 0, openLeads: [] };
  const open: OpenMql[] = [];
  for (const h of handovers) {
    const at = h.at;
    const deadline = deadlineOf(at, minutes);
    const first = answers.get(h.leadId)?.find((t) => t >= at);
    if (first !== undefined) {
      summary.answered++;
      if (first <= deadline) summary.answeredWithin.count++;
      continue;
    }
    // Scoring took it back below MQL (a rescore): nothing left for sales to answer.
    if (h.lead.stage !== 'mql' && h.lead.stage !== 'sql') continue;
    summary.open++;
    const overdue = now > deadline;
    if (overdue) summary.overdue++;
    open.push({ leadId: h.leadId, email: h.lead.email, company: fromJson(h.lead.traits).company ?? null, stage: h.lead.stage, qualifiedAt: iso(at), deadline: iso(deadline), overdue, overdueMinutes: overdue ? Math.floor((now - deadline) / 60_000) : 0 });
  }
  summary.answeredWithin.share = summary.mqls ? Math.round((summary.answeredWithin.count / summary.mqls) * 1000) / 1000 : null;
  summary.openLeads = open.sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.qualifiedAt.localeCompare(b.qualifiedAt)).slice(0, listLimit);
  return summary;
}
