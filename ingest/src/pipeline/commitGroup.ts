import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../db/schema.js';
import { markFirstTouchesChanged } from '../firstTouch/markFirstTouchesChanged.js';
import { recordLeadPages } from '../leadPages/leadPages.js';
import { insertHits, recordStageChanges, saveLeads } from '../leads/leadStore.js';
import { markForReplay } from '../replay/replayQueue.js';
import { queueForRollups } from '../rollups/processRollupQueue.js';
import type { Scorer } from '../scoring/engine.js';
import { attributeToVisits } from './attributeToVisits.js';
import { scoreSiteEvents, type ScoringWork } from './scoreSiteEvents.js';
import { reclaimTrustedIds, trustedEventId } from './trustedEventIds.js';
import { lockVisitors, rollUpEvents, saveVisitors, visitorKey } from './visitorRows.js';

/** Events one visitor may send in a day (UTC, server clock); later ones are refused until the next. */
export const MAX_EVENTS_PER_VISITOR_PER_DAY = 2000;
const DAY_MS = 86_400_000;

/** One request's validated events, waiting for the group they commit in. */
export interface PendingBatch {
  rows: EventsTable[];
  receivedAt: number;
  /** The sending client's key (a keyed hash of its address), for the identity guardrails. */
  clientKey?: string;
  /** Sent with an API key (a CRM, a backend): its traits win over traits typed into a browser. */
  trusted?: boolean;
}

/** What became of one request's events. */
export interface BatchOutcome {
  accepted: number;
  duplicates: number;
  refused: Array<{ id: string; field?: string; error: string }>;
}

export interface GroupResult {
  outcomes: BatchOutcome[];
  /** Something for the webhook dispatcher, or the replay worker, to do now. */
  stageChanges: boolean;
  queuedReplays: boolean;
}

const eventKey = (r: { site_id: string; id: string }) => `${r.site_id}\u0000${r.id}`;
const CHUNK = 300;

/** Inserts events once each (a retried id is skipped) in key order; returns the keys stored now. */
async function insertEvents(trx: Kysely<Database>, rows: EventsTable[]): Promise<Set<string>> {
  const sorted = [...rows].sort((a, b) => (eventKey(a) < eventKey(b) ? -1 : 1));
  const stored = new Set<string>();
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const inserted = await trx
      .insertInto('events')
      .values(sorted.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['site_id', 'id']).doNothing())
      .returning(['site_id', 'id'])
      .execute();
    for (const r of inserted) stored.add(eventKey(r));
  }
  return stored;
}

/**
 * Commits a group of requests' events in one transaction of set-based statements: the
 * visitors' rows are locked (one upsert), events over a visitor's daily cap refused, visits
 * attributed (one read, one upsert), events inserted (one insert a chunk), then scored,
 * linked and written back (one statement per table). Locks are always taken in the same
 * order (visitors by key, then leads by id), so concurrent groups in any number of processes
 * queue rather than deadlock or lose updates.
 *
 * @example
 * const { outcomes } = await db.transaction().execute((trx) => commitGroup(trx, batches, scorers));
 */
export async function commitGroup(trx: Kysely<Database>, batches: PendingBatch[], scorers: Map<string, Scorer>): Promise<GroupResult> {
  const now = Math.max(...batches.map((b) => b.receivedAt));
  const outcomes: BatchOutcome[] = batches.map(() => ({ accepted: 0, duplicates: 0, refused: [] }));
  /** Each event key in the group, and whether a trusted sender's event holds it. */
  const seen = new Map<string, boolean>();
  const candidates: Array<{ row: EventsTable; batch: number }> = [];
  batches.forEach((b, batch) =>
    b.rows.forEach((row) => {
      // A trusted event whose id a public sender's event in this very group took: its own id, as when stored before.
      if (b.trusted && seen.get(eventKey(row)) === false) row.id = trustedEventId(row.id);
      if (seen.has(eventKey(row))) outcomes[batch]!.duplicates++;
      else {
        seen.set(eventKey(row), !!b.trusted);
        candidates.push({ row, batch });
      }
    }),
  );
  if (!candidates.length) return { outcomes, stageChanges: false, queuedReplays: false };

  // By site and id: two sites' events may share an id.
  const clientOf = new Map(candidates.flatMap((c) => (batches[c.batch]!.clientKey ? [[eventKey(c.row), batches[c.batch]!.clientKey!] as const] : [])));
  // Stored with the event, so rules that ask for a server's event (`sentBy`) hold in replays too.
  for (const c of candidates) if (batches[c.batch]!.trusted) c.row.trusted = 1;
  const visitors = await lockVisitors(trx, candidates.map((c) => c.row), now);
  const preEvents = new Map([...visitors].map(([k, v]) => [k, v.events]));

  // The daily cap: no client grows a history without end.
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const countedToday = (k: string) => {
    const v = visitors.get(k)!;
    return v.day_start === today ? v.day_events : 0;
  };
  const admitted: typeof candidates = [];
  const attempts = new Map<string, number>();
  for (const c of candidates) {
    const k = visitorKey(c.row.site_id, c.row.visitor_id);
    const n = attempts.get(k) ?? countedToday(k);
    if (n >= MAX_EVENTS_PER_VISITOR_PER_DAY) {
      outcomes[c.batch]!.refused.push({ id: c.row.id, field: 'visitorId', error: `visitorId: this visitor sent ${MAX_EVENTS_PER_VISITOR_PER_DAY} events today (UTC), the most one visitor may; later events are refused until tomorrow` });
      continue;
    }
    attempts.set(k, n + 1);
    admitted.push(c);
  }

  await attributeToVisits(trx, admitted.map((c) => c.row));
  const stored = await insertEvents(trx, admitted.map((c) => c.row));
  // A trusted event whose id a public sender took first is stored under an id of its own.
  const reclaimed = await reclaimTrustedIds(trx, admitted.filter((c) => c.row.trusted === 1 && !stored.has(eventKey(c.row))).map((c) => c.row));
  if (reclaimed.length) {
    for (const row of reclaimed) {
      const client = clientOf.get(eventKey(row));
      row.id = trustedEventId(row.id);
      if (client) clientOf.set(eventKey(row), client);
    }
    for (const key of await insertEvents(trx, reclaimed)) stored.add(key);
  }
  const inserted: EventsTable[] = [];
  for (const c of admitted) {
    if (stored.has(eventKey(c.row))) {
      outcomes[c.batch]!.accepted++;
      inserted.push(c.row);
    } else outcomes[c.batch]!.duplicates++;
  }
  const storedToday = new Map<string, number>();
  for (const e of inserted) storedToday.set(visitorKey(e.site_id, e.visitor_id), (storedToday.get(visitorKey(e.site_id, e.visitor_id)) ?? 0) + 1);
  for (const [k, v] of visitors) [v.day_events, v.day_start] = [countedToday(k) + (storedToday.get(k) ?? 0), today];
  rollUpEvents(visitors, inserted);
  // The dashboard's daily rollups fold these in off the request path.
  await queueForRollups(trx, inserted, now);

  const work: ScoringWork = { hits: [], leads: [], changes: [], replays: [], recorded: 0, touched: new Set(), pages: [] };
  const bySite = new Map<string, EventsTable[]>();
  for (const e of inserted) {
    if (!bySite.has(e.site_id)) bySite.set(e.site_id, []);
    bySite.get(e.site_id)!.push(e);
  }
  for (const site of [...bySite.keys()].sort()) {
    const scorer = scorers.get(site);
    if (scorer) await scoreSiteEvents(trx, { site, scorer, rows: bySite.get(site)!, visitors, preEvents, now, work, clientOf });
  }

  await saveVisitors(trx, [...visitors.values()]);
  await insertHits(trx, work.hits);
  await saveLeads(trx, work.leads);
  await markFirstTouchesChanged(trx, work.touched);
  await recordLeadPages(trx, work.pages);
  await recordStageChanges(trx, work.changes, now);
  await markForReplay(trx, work.replays, now);
  return { outcomes, stageChanges: work.recorded + work.changes.length > 0, queuedReplays: work.replays.length > 0 };
}
