import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { sortEvents, type ScoredEvent } from '../scoring/engine.js';
import { toScoredEvent } from '../scoring/runLead.js';
import { asLeadEvent, emailsOfLeads } from '../leads/leadStore.js';

/**
 * Every event that counts for each of a page of leads, in scoring order: what `eventsOfLead`
 * reads for one lead (each linked visitor's events from its link's start, and those of earlier
 * links within their time ranges), in three queries for the whole page.
 *
 * @example
 * const histories = await eventsOfLeads(db, 'demo', page.map((l) => l.id));
 */
export async function eventsOfLeads(db: Kysely<Database>, site: string, leadIds: string[]): Promise<Map<string, ScoredEvent[]>> {
  const histories = new Map<string, ScoredEvent[]>(leadIds.map((id) => [id, []]));
  if (!leadIds.length) return histories;
  const current = await db.selectFrom('lead_visitors').select(['visitor_id', 'lead_id', 'from_ts', 'owns_traits']).where('lead_id', 'in', leadIds).execute();
  const past = await db.selectFrom('past_links').select(['visitor_id', 'lead_id', 'from_ts', 'until_ts', 'owns_traits']).where('lead_id', 'in', leadIds).execute();
  const emailsOf = await emailsOfLeads(db, await db.selectFrom('leads').select(['id', 'email']).where('id', 'in', leadIds).execute());
  const links = new Map<string, Array<{ lead: string; from: number; until: number; claimant?: boolean }>>();
  // As in `eventsOfLead`: a claimant's events only fill traits, another person's form gives none.
  for (const l of current) links.set(l.visitor_id, [...(links.get(l.visitor_id) ?? []), { lead: l.lead_id, from: Number(l.from_ts), until: Infinity, claimant: l.owns_traits !== 1 }]);
  for (const l of past) links.set(l.visitor_id, [...(links.get(l.visitor_id) ?? []), { lead: l.lead_id, from: Number(l.from_ts), until: Number(l.until_ts), claimant: l.owns_traits !== 1 }]);
  const visitors = [...links.keys()];
  for (let i = 0; i < visitors.length; i += 500) {
    // By visitor alone (its index), the site checked here: with `site_id = ?` in the query
    // SQLite's planner may take the primary key and read every event of the site.
    const rows = await db.selectFrom('events').selectAll().where('visitor_id', 'in', visitors.slice(i, i + 500)).execute();
    for (const row of rows) {
      if (row.site_id !== site) continue;
      const ts = Number(row.ts);
      for (const link of links.get(row.visitor_id) ?? []) {
        if (ts >= link.from && ts < link.until) histories.get(link.lead)!.push(asLeadEvent(toScoredEvent({ ...row, ts }), (email) => emailsOf.get(link.lead)?.has(email) ?? false, !!link.claimant));
      }
    }
  }
  for (const [id, events] of histories) histories.set(id, sortEvents(events));
  return histories;
}
