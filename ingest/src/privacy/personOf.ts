import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** The browsers of a person and the time windows in which their events are that person's. */
export interface PersonScope {
  /** Leads that make up the person: the lead, and any merged into it. */
  leadIds: string[];
  siteId: string;
  /** Browsers linked now: every event of theirs is the person's. */
  currentVisitors: string[];
  /** Browsers that moved on to someone else (a shared computer): only these windows are the person's. */
  pastWindows: Array<{ visitorId: string; fromTs: number; untilTs: number }>;
}

/**
 * Everything that names one person: the lead, the leads merged into it, its browsers now, and
 * the windows of browsers it shared. Undefined when there is no such lead (or it was merged
 * into another: ask for that one).
 *
 * @example
 * const scope = await personOf(db, 'ld_abc');
 */
export async function personOf(db: Kysely<Database>, leadId: string): Promise<PersonScope | undefined> {
  const lead = await db.selectFrom('leads').select(['id', 'site_id', 'merged_into']).where('id', '=', leadId).executeTakeFirst();
  if (!lead || lead.merged_into) return undefined;
  const merged = await db.selectFrom('leads').select('id').where('merged_into', '=', lead.id).execute();
  const leadIds = [lead.id, ...merged.map((m) => m.id)];
  const current = await db.selectFrom('lead_visitors').select('visitor_id').where('lead_id', 'in', leadIds).execute();
  const past = await db.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', 'in', leadIds).execute();
  const currentVisitors = [...new Set(current.map((c) => c.visitor_id))];
  return {
    leadIds,
    siteId: lead.site_id,
    currentVisitors,
    pastWindows: past.filter((p) => !currentVisitors.includes(p.visitor_id)).map((p) => ({ visitorId: p.visitor_id, fromTs: p.from_ts, untilTs: p.until_ts })),
  };
}
