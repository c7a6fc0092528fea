import type { Kysely, Selectable } from 'kysely';
import type { Database, LeadsTable } from '../db/schema.js';

/** A handover to sales and the lead it handed over. */
export interface Handover {
  /** The stage change's id. */
  id: string;
  leadId: string;
  at: number;
  lead: Pick<Selectable<LeadsTable>, 'id' | 'email' | 'traits' | 'stage'>;
}

// A site's handovers by (site, handover, time): marked when recorded (migration 018).
const handoverChanges = (db: Kysely<Database>, site: string, from: number, to: number) =>
  db
    .selectFrom('stage_changes')
    .select(['stage_changes.id', 'stage_changes.lead_id', 'stage_changes.at'])
    .where('stage_changes.site_id', '=', site)
    .where('stage_changes.handover', '=', 1)
    .where('stage_changes.at', '>=', from)
    .where('stage_changes.at', '<', to);

/**
 * The handovers to sales of a site in [from, to), oldest first: scoring (live or in a rescore)
 * taking a lead from below MQL to MQL or SQL. A later MQL → SQL by scoring continues the same
 * handover; a lead recycled by sales that qualifies again is a new one. From these the
 * follow-up agreement runs. Merged leads' handovers are left out. `refine` narrows the stage
 * changes further (the breach checker's "not raised, not answered").
 *
 * Read in two steps, stage changes by site and time and then their leads by id, because the
 * leads' site says little (with one site, it is every lead) and a join would let SQLite's
 * planner walk them all.
 *
 * @example
 * const week = await handoversOf(db, 'demo', { from: Date.now() - 7 * 86_400_000, to: Date.now() });
 */
export async function handoversOf(
  db: Kysely<Database>,
  site: string,
  { from, to, refine = (q) => q }: { from: number; to: number; refine?: (q: ReturnType<typeof handoverChanges>) => ReturnType<typeof handoverChanges> },
): Promise<Handover[]> {
  const changes = await refine(handoverChanges(db, site, from, to)).orderBy('stage_changes.at').orderBy('stage_changes.id').execute();
  const leadIds = [...new Set(changes.map((c) => c.lead_id))];
  const leads = new Map<string, Handover['lead']>();
  for (let i = 0; i < leadIds.length; i += 500) {
    // By id alone (the site and merged filters in memory), so every planner reads the primary key.
    const rows = await db.selectFrom('leads').select(['id', 'email', 'traits', 'stage', 'site_id', 'merged_into']).where('id', 'in', leadIds.slice(i, i + 500)).execute();
    for (const { site_id, merged_into, ...row } of rows) if (site_id === site && !merged_into) leads.set(row.id, row);
  }
  return changes.flatMap((c) => {
    const lead = leads.get(c.lead_id);
    return lead ? [{ id: c.id, leadId: c.lead_id, at: Number(c.at), lead }] : [];
  });
}

/** An MQL's deadline under a response time in minutes. */
export const deadlineOf = (qualifiedAt: number, responseMinutes: number) => qualifiedAt + responseMinutes * 60_000;

/** The agreement's response time of a site; 60 minutes when the config says nothing. */
export const responseMinutesOf = (site: { followUp?: { mqlResponseMinutes: number } }) => site.followUp?.mqlResponseMinutes ?? 60;
