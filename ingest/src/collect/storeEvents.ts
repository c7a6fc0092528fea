import type { Kysely } from 'kysely';
import type { Database, EventsTable, VisitorsTable } from '../db/schema.js';

export interface StoreResult {
  inserted: EventsTable[];
  duplicates: number;
}

const STAGE_COLUMNS = { top: 'pageviews_top', middle: 'pageviews_middle', bottom: 'pageviews_bottom' } as const;

/**
 * Stores new events once each and rolls them into their visitors, all in one transaction:
 * when it resolves, the data is committed. Ids already stored (a retry) are skipped and counted.
 *
 * @example
 * const { inserted, duplicates } = await storeEvents(db, rows);
 */
export async function storeEvents(
  db: Kysely<Database>,
  rows: EventsTable[],
  /** Runs in the same transaction with the events actually inserted (scoring, linking). */
  afterInsert?: (trx: Kysely<Database>, inserted: EventsTable[]) => Promise<void>,
): Promise<StoreResult> {
  const unique = [...new Map(rows.map((r) => [`${r.site_id}\u0000${r.id}`, r])).values()];
  if (unique.length === 0) return { inserted: [], duplicates: rows.length };
  return db.transaction().execute(async (trx) => {
    await attributeToVisits(trx, unique);
    const insertedIds = await trx
      .insertInto('events')
      .values(unique)
      .onConflict((oc) => oc.columns(['site_id', 'id']).doNothing())
      .returning(['site_id', 'id'])
      .execute();
    const wasInserted = new Set(insertedIds.map((r) => `${r.site_id}\u0000${r.id}`));
    const inserted = unique.filter((r) => wasInserted.has(`${r.site_id}\u0000${r.id}`));
    for (const rollup of rollUpByVisitor(inserted)) {
      await upsertVisitor(trx, rollup);
    }
    await afterInsert?.(trx, inserted);
    return { inserted, duplicates: rows.length - inserted.length };
  });
}

/**
 * Gives every event the campaign of its visit: an event that carries one (UTM parameters,
 * click ids, an external referrer) sets it for the events after it; one without inherits it.
 * The visit's campaign is kept in `sessions`, so it spans batches and pages.
 */
async function attributeToVisits(trx: Kysely<Database>, rows: EventsTable[]): Promise<void> {
  const key = (r: { site_id: string; session_id: string }) => `${r.site_id}\u0000${r.session_id}`;
  const known = await trx
    .selectFrom('sessions')
    .select(['site_id', 'session_id', 'campaign'])
    // Site first: the primary key (site_id, session_id) serves this lookup; a batch is one site's.
    .where('site_id', 'in', [...new Set(rows.map((r) => r.site_id))])
    .where('session_id', 'in', [...new Set(rows.map((r) => r.session_id))])
    .execute();
  const campaignOfVisit = new Map(known.map((s) => [key(s), s.campaign]));
  const changed = new Map<string, { site_id: string; session_id: string; visitor_id: string; started_at: number; campaign: string | null }>();
  for (const row of [...rows].sort((a, b) => a.ts - b.ts)) {
    const k = key(row);
    const current = campaignOfVisit.get(k);
    if (row.campaign && row.campaign !== current) {
      campaignOfVisit.set(k, row.campaign);
      changed.set(k, { site_id: row.site_id, session_id: row.session_id, visitor_id: row.visitor_id, started_at: row.ts, campaign: row.campaign });
    } else {
      row.campaign ??= current ?? null;
      if (current === undefined && !changed.has(k)) {
        campaignOfVisit.set(k, null);
        changed.set(k, { site_id: row.site_id, session_id: row.session_id, visitor_id: row.visitor_id, started_at: row.ts, campaign: null });
      }
    }
  }
  if (changed.size === 0) return;
  await trx
    .insertInto('sessions')
    .values([...changed.values()])
    .onConflict((oc) => oc.columns(['site_id', 'session_id']).doUpdateSet((eb) => ({ campaign: eb.ref('excluded.campaign') })))
    .execute();
}

type VisitorRollup = Omit<VisitorsTable, 'updated_at' | 'score_state' | 'engagement' | 'engagement_at'>;

function rollUpByVisitor(events: EventsTable[]): VisitorRollup[] {
  const byVisitor = new Map<string, VisitorRollup>();
  for (const e of events) {
    const key = `${e.site_id}\u0000${e.visitor_id}`;
    let v = byVisitor.get(key);
    if (!v) {
      v = { site_id: e.site_id, visitor_id: e.visitor_id, first_seen_at: e.ts, last_seen_at: e.ts, visits: e.visit, events: 0, pageviews: 0, pageviews_top: 0, pageviews_middle: 0, pageviews_bottom: 0 };
      byVisitor.set(key, v);
    }
    v.first_seen_at = Math.min(v.first_seen_at, e.ts);
    v.last_seen_at = Math.max(v.last_seen_at, e.ts);
    v.visits = Math.max(v.visits, e.visit);
    v.events += 1;
    if (e.type === 'pageview') {
      v.pageviews += 1;
      if (e.stage === 'top' || e.stage === 'middle' || e.stage === 'bottom') v[STAGE_COLUMNS[e.stage]] += 1;
    }
  }
  return [...byVisitor.values()];
}

async function upsertVisitor(trx: Kysely<Database>, v: VisitorRollup): Promise<void> {
  const now = Date.now();
  await trx
    .insertInto('visitors')
    .values({ ...v, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['site_id', 'visitor_id']).doUpdateSet((eb) => {
        // CASE instead of min()/least(): the one spelling both SQLite and PostgreSQL accept.
        const smaller = (col: 'first_seen_at') =>
          eb.case().when(`excluded.${col}`, '<', eb.ref(`visitors.${col}`)).then(eb.ref(`excluded.${col}`)).else(eb.ref(`visitors.${col}`)).end();
        const larger = (col: 'last_seen_at' | 'visits') =>
          eb.case().when(`excluded.${col}`, '>', eb.ref(`visitors.${col}`)).then(eb.ref(`excluded.${col}`)).else(eb.ref(`visitors.${col}`)).end();
        const add = (col: 'events' | 'pageviews' | 'pageviews_top' | 'pageviews_middle' | 'pageviews_bottom') =>
          eb(eb.ref(`visitors.${col}`), '+', eb.ref(`excluded.${col}`));
        return {
          first_seen_at: smaller('first_seen_at'),
          last_seen_at: larger('last_seen_at'),
          visits: larger('visits'),
          events: add('events'),
          pageviews: add('pageviews'),
          pageviews_top: add('pageviews_top'),
          pageviews_middle: add('pageviews_middle'),
          pageviews_bottom: add('pageviews_bottom'),
          updated_at: now,
        };
      }),
    )
    .execute();
}
