import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The stage changes that hand a lead to sales: scoring (live or in a rescore) taking it from
 * below MQL to MQL or SQL. A later MQL → SQL by scoring continues the same handover; a lead
 * recycled by sales and qualifying again is a new one. From these the follow-up agreement runs.
 *
 * @example
 * const rows = await handoversOf(db, 'demo').where('stage_changes.at', '>=', from).execute();
 */
export function handoversOf(db: Kysely<Database>, site: string) {
  return db
    .selectFrom('stage_changes')
    .innerJoin('leads', 'leads.id', 'stage_changes.lead_id')
    .where('leads.site_id', '=', site)
    .where('leads.merged_into', 'is', null)
    .where('stage_changes.to_stage', 'in', ['mql', 'sql'])
    .where('stage_changes.from_stage', 'in', ['visitor', 'lead', 'recycled'])
    .where('stage_changes.source', 'in', ['scoring', 'rescore']);
}

/** An MQL's deadline under a response time in minutes. */
export const deadlineOf = (qualifiedAt: number, responseMinutes: number) => qualifiedAt + responseMinutes * 60_000;

/** The agreement's response time of a site; 60 minutes when the config says nothing. */
export const responseMinutesOf = (site: { followUp?: { mqlResponseMinutes: number } }) => site.followUp?.mqlResponseMinutes ?? 60;
