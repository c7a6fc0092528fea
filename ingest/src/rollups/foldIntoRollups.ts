import { sql, type Kysely } from 'kysely';
import { GROUP_SEPARATOR } from '../db/migrations/017_daily_rollups.js';
import type { Database, EventsTable, RollupKind } from '../db/schema.js';
import { planMemberDays, type MemberDays } from './planMemberDays.js';

const DAY_MS = 86_400_000;
/** Rows a statement: well under SQLite's bound-parameter limit. */
const CHUNK = 500;

/** The columns of an event the rollups read; `n` stands for that many alike events (1 when absent). */
export type RollupEvent = Pick<EventsTable, 'visitor_id' | 'ts' | 'type' | 'path' | 'stage' | 'category'> & { n?: number };

const dayOf = (ts: number) => Math.floor(Number(ts) / DAY_MS);
const groupOf = (e: RollupEvent) => `${e.stage ?? ''}${GROUP_SEPARATOR}${e.category ?? ''}`;
const dimKey = (kind: RollupKind, dim: string, member: string) => JSON.stringify([kind, dim, member]);
const countKey = (kind: RollupKind, dim: string, day: number, prev: number) => JSON.stringify([kind, dim, day, prev]);

/** The dimensions an event counts its browser in: the site, and for a page view its page and its stage and category. */
function dimsOf(e: RollupEvent): Array<[RollupKind, string]> {
  return e.type === 'pageview' ? [['v', ''], ['p', e.path], ['g', groupOf(e)]] : [['v', '']];
}

/**
 * Folds stored events into a site's rollups, or takes them out again (`sign: -1`, for events
 * about to be deleted). Adding: page views are summed by day, page, stage and category; each
 * browser's new active days are placed among its stored ones (`planMemberDays`). Taking out:
 * page views are subtracted; the browsers' member rows are dropped whole, so a caller that
 * deletes only some of a browser's events folds the rest back in afterwards (`retractVisitors`).
 * Set-based: one read of the browsers' stored days, one upsert a table. Runs inside the
 * caller's transaction, which holds the rollup lock (`lockRollups`).
 *
 * @example
 * await foldIntoRollups(trx, 'demo', events, 1);
 */
export async function foldIntoRollups(trx: Kysely<Database>, site: string, events: RollupEvent[], sign: 1 | -1): Promise<void> {
  if (!events.length) return;
  await addPageViews(trx, site, events, sign);
  if (sign === 1) await addMemberDays(trx, site, events);
}

async function addPageViews(trx: Kysely<Database>, site: string, events: RollupEvent[], sign: 1 | -1) {
  const views = new Map<string, { day: number; path: string; stage: string; category: string; views: number }>();
  for (const e of events) {
    if (e.type !== 'pageview') continue;
    const row = { day: dayOf(e.ts), path: e.path, stage: e.stage ?? '', category: e.category ?? '' };
    const k = JSON.stringify(row);
    const v = views.get(k);
    if (v) v.views += sign * (e.n ?? 1);
    else views.set(k, { ...row, views: sign * (e.n ?? 1) });
  }
  const rows = [...views.values()].map((v) => ({ site_id: site, ...v }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('rollup_page_views')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['site_id', 'day', 'path', 'stage', 'category']).doUpdateSet({ views: sql`rollup_page_views.views + excluded.views` }))
      .execute();
  }
  if (sign === -1 && rows.length) await trx.deleteFrom('rollup_page_views').where('site_id', '=', site).where('views', '<=', 0).where('day', 'in', [...new Set(rows.map((r) => r.day))]).execute();
}

async function addMemberDays(trx: Kysely<Database>, site: string, events: RollupEvent[]) {
  const added = new Map<string, { kind: RollupKind; dim: string; member: string; days: Set<number> }>();
  for (const e of events) {
    for (const [kind, dim] of dimsOf(e)) {
      const k = dimKey(kind, dim, e.visitor_id);
      let entry = added.get(k);
      if (!entry) added.set(k, (entry = { kind, dim, member: e.visitor_id, days: new Set() }));
      entry.days.add(dayOf(e.ts));
    }
  }
  const stored = await storedDays(trx, site, [...new Set(events.map((e) => e.visitor_id))]);
  const rows: Database['rollup_members'][] = [];
  const deltas = new Map<string, { kind: RollupKind; dim: string; day: number; prev_day: number; members: number }>();
  for (const [k, { kind, dim, member, days }] of added) {
    const plan = planMemberDays(stored.get(k) ?? [], days);
    for (const r of plan.rows) rows.push({ site_id: site, kind, dim, member, day: r.day, prev_day: r.prev });
    for (const d of plan.deltas) {
      const ck = countKey(kind, dim, d.day, d.prev);
      const c = deltas.get(ck);
      if (c) c.members += d.by;
      else deltas.set(ck, { kind, dim, day: d.day, prev_day: d.prev, members: d.by });
    }
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('rollup_members')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['site_id', 'member', 'kind', 'dim', 'day']).doUpdateSet({ prev_day: sql`excluded.prev_day` }))
      .execute();
  }
  await addCounts(trx, site, [...deltas.values()].filter((d) => d.members !== 0));
}

/** Every stored active day of these browsers, in every dimension, by dimension and member. */
async function storedDays(trx: Kysely<Database>, site: string, members: string[]): Promise<Map<string, MemberDays>> {
  const byKey = new Map<string, MemberDays>();
  for (let i = 0; i < members.length; i += CHUNK) {
    const rows = await trx
      .selectFrom('rollup_members')
      .select(['kind', 'dim', 'member', 'day', 'prev_day'])
      .where('site_id', '=', site)
      .where('member', 'in', members.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) {
      const k = dimKey(r.kind, r.dim, r.member);
      if (!byKey.has(k)) byKey.set(k, []);
      byKey.get(k)!.push({ day: Number(r.day), prev: Number(r.prev_day) });
    }
  }
  return byKey;
}

/**
 * Adds to the member counts of (dimension, day, previous day) pairs; pairs left with none are
 * deleted, so the tables hold only what a period's sum reads.
 */
export async function addCounts(trx: Kysely<Database>, site: string, deltas: Array<{ kind: RollupKind; dim: string; day: number; prev_day: number; members: number }>): Promise<void> {
  for (let i = 0; i < deltas.length; i += CHUNK) {
    await trx
      .insertInto('rollup_counts')
      .values(deltas.slice(i, i + CHUNK).map((d) => ({ site_id: site, ...d })))
      .onConflict((oc) => oc.columns(['site_id', 'kind', 'day', 'dim', 'prev_day']).doUpdateSet({ members: sql`rollup_counts.members + excluded.members` }))
      .execute();
  }
  const emptied = deltas.filter((d) => d.members < 0);
  for (let i = 0; i < emptied.length; i += CHUNK) {
    await trx
      .deleteFrom('rollup_counts')
      .where('site_id', '=', site)
      .where('members', '<=', 0)
      .where((eb) => eb(eb.refTuple('kind', 'day', 'dim', 'prev_day'), 'in', emptied.slice(i, i + CHUNK).map((d) => eb.tuple(d.kind, d.day, d.dim, d.prev_day))))
      .execute();
  }
}
