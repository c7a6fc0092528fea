import type { Kysely, Selectable } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type { Database, EventsTable, VisitorsTable } from '../db/schema.js';

export type VisitorRow = Selectable<VisitorsTable>;
export const visitorKey = (site: string, visitorId: string) => `${site}\u0000${visitorId}`;

/** Rows a multi-row statement takes at once (13 columns: far below either dialect's limit). */
const CHUNK = 400;

/**
 * Makes sure every visitor of the group has a row and takes its lock until the transaction
 * ends, in key order (so two writers never wait on each other in a circle): one upsert that
 * returns the rows as they are now. Everything the group changes about a visitor is then
 * computed in memory under that lock and written back by `saveVisitors`: no lost update,
 * whatever the number of processes.
 *
 * @example
 * const visitors = await lockVisitors(trx, rows, Date.now());
 */
export async function lockVisitors(trx: Kysely<Database>, rows: EventsTable[], now: number): Promise<Map<string, VisitorRow>> {
  const span = new Map<string, { site_id: string; visitor_id: string; first: number; last: number }>();
  for (const r of rows) {
    const k = visitorKey(r.site_id, r.visitor_id);
    const s = span.get(k);
    if (!s) span.set(k, { site_id: r.site_id, visitor_id: r.visitor_id, first: r.ts, last: r.ts });
    else [s.first, s.last] = [Math.min(s.first, r.ts), Math.max(s.last, r.ts)];
  }
  const sorted = [...span.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
  const found = new Map<string, VisitorRow>();
  const placeholder = (s: (typeof sorted)[number]): VisitorRow => ({
    site_id: s.site_id,
    visitor_id: s.visitor_id,
    first_seen_at: s.first,
    last_seen_at: s.last,
    visits: 0,
    events: 0,
    pageviews: 0,
    pageviews_top: 0,
    pageviews_middle: 0,
    pageviews_bottom: 0,
    updated_at: now,
    score_state: null,
    engagement: 0,
    engagement_at: 0,
    day_start: 0,
    day_events: 0,
  });
  if (!isPostgres(trx)) {
    // SQLite's one writer serialises transactions already: reading is enough, and new visitors
    // are inserted by `saveVisitors` with everything else.
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const chunk = sorted.slice(i, i + CHUNK);
      const rows = await trx
        .selectFrom('visitors')
        .selectAll()
        .where('site_id', 'in', [...new Set(chunk.map((s) => s.site_id))])
        .where('visitor_id', 'in', chunk.map((s) => s.visitor_id))
        .execute();
      for (const v of rows) found.set(visitorKey(v.site_id, v.visitor_id), v);
    }
    for (const s of sorted) if (!found.has(visitorKey(s.site_id, s.visitor_id))) found.set(visitorKey(s.site_id, s.visitor_id), placeholder(s));
    return found;
  }
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const locked = await trx
      .insertInto('visitors')
      .values(
        sorted.slice(i, i + CHUNK).map((s) => {
          const { score_state, engagement, engagement_at, day_start, day_events, ...row } = placeholder(s);
          return row;
        }),
      )
      .onConflict((oc) => oc.columns(['site_id', 'visitor_id']).doUpdateSet((eb) => ({ updated_at: eb.ref('excluded.updated_at') })))
      .returningAll()
      .execute();
    for (const v of locked) found.set(visitorKey(v.site_id, v.visitor_id), v);
  }
  return found;
}

/**
 * Locks stored visitor rows of one site, in the order `lockVisitors` takes them, for a change
 * that is not a commit of events (an erasure): commits for these browsers wait until it ends.
 * SQLite has one writer already.
 *
 * @example
 * await lockVisitorRows(trx, 'demo', ['v_1', 'v_2']);
 */
export async function lockVisitorRows(trx: Kysely<Database>, site: string, visitorIds: string[]): Promise<void> {
  if (!isPostgres(trx)) return;
  // One at a time, in the key order commits use (the database's collation may sort otherwise).
  for (const id of [...new Set(visitorIds)].sort((a, b) => (visitorKey(site, a) < visitorKey(site, b) ? -1 : 1))) {
    await trx.selectFrom('visitors').select('visitor_id').where('site_id', '=', site).where('visitor_id', '=', id).forUpdate().execute();
  }
}

const STAGE_COLUMNS = { top: 'pageviews_top', middle: 'pageviews_middle', bottom: 'pageviews_bottom' } as const;

/**
 * Adds stored events to their visitors' rollups (first and last seen, visits, counts by funnel
 * stage), in memory.
 *
 * @example
 * rollUpEvents(visitors, inserted);
 */
export function rollUpEvents(visitors: Map<string, VisitorRow>, events: EventsTable[]) {
  for (const e of events) {
    const v = visitors.get(visitorKey(e.site_id, e.visitor_id));
    if (!v) continue;
    if (v.events === 0) [v.first_seen_at, v.last_seen_at] = [e.ts, e.ts];
    v.first_seen_at = Math.min(v.first_seen_at, e.ts);
    v.last_seen_at = Math.max(v.last_seen_at, e.ts);
    v.visits = Math.max(v.visits, e.visit);
    v.events += 1;
    if (e.type === 'pageview') {
      v.pageviews += 1;
      if (e.stage) v[STAGE_COLUMNS[e.stage]] += 1;
    }
  }
}

/** Writes visitors back, one statement per chunk; the caller holds their locks. */
export async function saveVisitors(trx: Kysely<Database>, visitors: VisitorRow[]) {
  const sorted = [...visitors].sort((a, b) => (visitorKey(a.site_id, a.visitor_id) < visitorKey(b.site_id, b.visitor_id) ? -1 : 1));
  for (let i = 0; i < sorted.length; i += CHUNK) {
    await trx
      .insertInto('visitors')
      .values(sorted.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['site_id', 'visitor_id']).doUpdateSet((eb) => ({
          first_seen_at: eb.ref('excluded.first_seen_at'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          visits: eb.ref('excluded.visits'),
          events: eb.ref('excluded.events'),
          pageviews: eb.ref('excluded.pageviews'),
          pageviews_top: eb.ref('excluded.pageviews_top'),
          pageviews_middle: eb.ref('excluded.pageviews_middle'),
          pageviews_bottom: eb.ref('excluded.pageviews_bottom'),
          updated_at: eb.ref('excluded.updated_at'),
          score_state: eb.ref('excluded.score_state'),
          engagement: eb.ref('excluded.engagement'),
          engagement_at: eb.ref('excluded.engagement_at'),
          day_start: eb.ref('excluded.day_start'),
          day_events: eb.ref('excluded.day_events'),
        })),
      )
      .execute();
  }
}
