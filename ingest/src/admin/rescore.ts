import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { lockLeads } from '../leads/leadStore.js';
import { replayLead } from '../replay/replaySubject.js';

export interface RescoreReport {
  ruleVersions: Record<string, string>;
  leads: number;
  events: number;
  stageChanges: { up: number; down: number };
  movedLeads: Array<{ id: string; from: string; to: string }>;
  seconds: number;
  eventsPerSecond: number;
}

const ORDER = ['visitor', 'lead', 'recycled', 'mql', 'sql', 'opportunity', 'customer'];

/**
 * Replays every lead under the current rule version, page by page (never the whole data set
 * in memory), and reports how many leads moved stage, up or down. A lead whose stage sales
 * set (SQL and beyond) keeps it; MQLs that the new rules no longer qualify go back to lead.
 * Each lead is replayed in a transaction of its own under its lock, so a rescore runs safely
 * beside live traffic (which waits for that one lead, never for the whole rescore).
 *
 * @example
 * const report = await rescoreAll(db, scorers, { onProgress: ({ leads }) => console.error(`${leads} leads`) });
 */
export async function rescoreAll(
  db: Kysely<Database>,
  scorers: Map<string, Scorer>,
  {
    now = Date.now,
    pageSize = 200,
    leadId,
    site,
    onProgress,
  }: {
    now?: () => number;
    pageSize?: number;
    leadId?: string;
    /** Rescore this site's leads only (a new rule set version for it). */
    site?: string;
    /** Called after each page with the running totals, for a progress line; may be async, and throw to stop. */
    onProgress?: (done: { leads: number; events: number; stageChanges: { up: number; down: number } }) => void | Promise<void>;
  } = {},
): Promise<RescoreReport> {
  const started = performance.now();
  const report: RescoreReport = {
    ruleVersions: Object.fromEntries([...scorers].map(([site, s]) => [site, s.version])),
    leads: 0,
    events: 0,
    stageChanges: { up: 0, down: 0 },
    movedLeads: [],
    seconds: 0,
    eventsPerSecond: 0,
  };
  let lastId = '';
  for (;;) {
    // Paged by id alone, filtered here: a site or merge filter in the query lets SQLite's
    // planner pick that index and sort every lead for each page.
    let query = db.selectFrom('leads').select(['id', 'site_id', 'merged_into']).where('id', '>', lastId);
    if (leadId) query = query.where('id', '=', leadId);
    const page = await query.orderBy('id').limit(pageSize).execute();
    if (!page.length) break;
    for (const { id } of page.filter((l) => !l.merged_into && (!site || l.site_id === site))) {
      await db.transaction().execute(async (trx) => {
        const lead = (await lockLeads(trx, [id])).get(id);
        const scorer = lead && !lead.merged_into ? scorers.get(lead.site_id) : undefined;
        if (!lead || !scorer) return;
        const result = await replayLead(trx, scorer, lead, now(), { source: 'rescore', allowDown: true });
        report.leads++;
        report.events += result.events;
        if (result.from !== result.to) {
          report.stageChanges[ORDER.indexOf(result.to) > ORDER.indexOf(result.from) ? 'up' : 'down']++;
          if (report.movedLeads.length < 100) report.movedLeads.push({ id: lead.id, from: result.from, to: result.to });
        }
      });
    }
    lastId = page[page.length - 1]!.id;
    await onProgress?.({ leads: report.leads, events: report.events, stageChanges: { ...report.stageChanges } });
  }
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  report.eventsPerSecond = Math.round(report.events / Math.max(report.seconds, 0.001));
  return report;
}
