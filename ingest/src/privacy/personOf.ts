import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { eventsNaming } from './eventsNaming.js';

/** A browser never linked to the person (or not when it named them) that holds what the person gave. */
export interface UnlinkedBrowser {
  visitorId: string;
  /** Its events naming the person by email that no link of the person covers. */
  eventIds: string[];
  /** The visits those events belong to. */
  sessionIds: string[];
}

/** The browsers of a person and the time windows in which their events are that person's. */
export interface PersonScope {
  /** Leads that make up the person: the lead, and any merged into it. */
  leadIds: string[];
  siteId: string;
  /** The emails the person is known by: those of the leads above (normalised). */
  emails: string[];
  /** Browsers linked now: every event of theirs is the person's. */
  currentVisitors: string[];
  /** Browsers that moved on to someone else (a shared computer): only these windows are the person's. */
  pastWindows: Array<{ visitorId: string; fromTs: number; untilTs: number }>;
  /**
   * Browsers that named the person but were never linked to them for it: the guardrails refused
   * the link (`identity_log`, kind `refused`), no lead could be made then (a client's hourly
   * limit), or the email came while the browser counted for someone else. Only the events naming
   * the person are known to be theirs: the rest of such a browser may be anyone's (a shared or
   * office computer, or whoever typed the email).
   */
  unlinked: UnlinkedBrowser[];
}

/**
 * Everything that names one person: the lead, the leads merged into it, its browsers now, the
 * windows of browsers it shared, and the browsers never linked that hold events naming its
 * emails. Undefined when there is no such lead (or it was merged into another: ask for that one).
 *
 * @example
 * const scope = await personOf(db, 'ld_abc');
 */
export async function personOf(db: Kysely<Database>, leadId: string): Promise<PersonScope | undefined> {
  const lead = await db.selectFrom('leads').select(['id', 'site_id', 'email', 'merged_into']).where('id', '=', leadId).executeTakeFirst();
  if (!lead || lead.merged_into) return undefined;
  const merged = await db.selectFrom('leads').select(['id', 'email']).where('merged_into', '=', lead.id).execute();
  const leadIds = [lead.id, ...merged.map((m) => m.id)];
  const emails = [...new Set([lead.email, ...merged.map((m) => m.email)])];
  const current = await db.selectFrom('lead_visitors').select('visitor_id').where('lead_id', 'in', leadIds).execute();
  const past = await db.selectFrom('past_links').select(['visitor_id', 'from_ts', 'until_ts']).where('lead_id', 'in', leadIds).execute();
  const currentVisitors = [...new Set(current.map((c) => c.visitor_id))];
  const linkedNow = new Set(currentVisitors);
  const pastWindows = past.filter((p) => !linkedNow.has(p.visitor_id)).map((p) => ({ visitorId: p.visitor_id, fromTs: Number(p.from_ts), untilTs: Number(p.until_ts) }));
  const covered = (visitorId: string, ts: number) => linkedNow.has(visitorId) || pastWindows.some((w) => w.visitorId === visitorId && w.fromTs <= ts && ts < w.untilTs);
  // A refused browser is the person's to clean even when its events are gone (its score state
  // still holds the traits its form gave).
  const refused = await db.selectFrom('identity_log').select('visitor_id').where('lead_id', 'in', leadIds).where('kind', '=', 'refused').where('visitor_id', 'is not', null).execute();
  const unlinked = new Map<string, UnlinkedBrowser>();
  const browser = (visitorId: string) => unlinked.get(visitorId) ?? unlinked.set(visitorId, { visitorId, eventIds: [], sessionIds: [] }).get(visitorId)!;
  for (const r of refused) if (r.visitor_id && !linkedNow.has(r.visitor_id)) browser(r.visitor_id);
  for (const e of await eventsNaming(db, lead.site_id, emails)) {
    if (covered(e.visitorId, e.ts)) continue;
    const b = browser(e.visitorId);
    b.eventIds.push(e.id);
    if (!b.sessionIds.includes(e.sessionId)) b.sessionIds.push(e.sessionId);
  }
  return { leadIds, siteId: lead.site_id, emails, currentVisitors, pastWindows, unlinked: [...unlinked.values()] };
}
