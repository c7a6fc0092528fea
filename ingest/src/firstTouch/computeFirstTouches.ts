import type { ExpressionBuilder, Kysely, SelectQueryBuilder } from 'kysely';
import type { Campaign, FunnelStage } from '../../../shared/src/types.js';
import { fromJsonOrNull } from '../db/json.js';
import type { Database } from '../db/schema.js';

/** Where a lead first met the site: its first page view's page and its first visit's campaign. */
export interface FirstTouch {
  /** The page of the first page view, with the stage and category it was stored with; null without a page view. */
  path: string | null;
  stage: FunnelStage | null;
  category: string | null;
  /** UTM source, medium and campaign of the first visit (the session of the lead's first event). */
  source: string | null;
  medium: string | null;
  campaign: string | null;
  /** The first visit came from another site without UTM tags. */
  referred: boolean;
}

/** A lead without any event: nothing touched it on the site (a lead created by a server-side call). */
export const NO_TOUCH: FirstTouch = { path: null, stage: null, category: null, source: null, medium: null, campaign: null, referred: false };

/** Ids a lookup by primary key: few round trips, and under SQLite's 32,766 bound variables. */
const BATCH = 5000;

type LeadIds = string[] | SelectQueryBuilder<Database, any, { lead_id: string }>;

/**
 * Each lead's first touch, found in its events: over the events that count for it (each
 * browser's from its link on, earlier links' within their range), the first page view and the
 * session of the first event. A handful of queries for any number of leads (ids, or a subquery
 * that selects them): one index probe a link finds its first events. Leads without events get
 * `NO_TOUCH`.
 *
 * @example
 * const touches = await computeFirstTouches(db, 'demo', ['ld_a', 'ld_b']);
 * touches.get('ld_a') // { path: '/blog/intent-data', stage: 'top', source: 'linkedin', … }
 */
export async function computeFirstTouches(db: Kysely<Database>, site: string, leadIds: LeadIds): Promise<Map<string, FirstTouch>> {
  if (Array.isArray(leadIds) && !leadIds.length) return new Map();
  if (Array.isArray(leadIds) && leadIds.length > BATCH) {
    const all = new Map<string, FirstTouch>();
    for (let i = 0; i < leadIds.length; i += BATCH) for (const [id, t] of await computeFirstTouches(db, site, leadIds.slice(i, i + BATCH))) all.set(id, t);
    return all;
  }
  const firstEvent = (pageviews: boolean, link: 'lv' | 'pl') => (eb: ExpressionBuilder<any, any>) => {
    let q = eb.selectFrom('events as e').select('e.id').where('e.site_id', '=', site).whereRef('e.visitor_id', '=', `${link}.visitor_id`).whereRef('e.ts', '>=', `${link}.from_ts`);
    if (link === 'pl') q = q.whereRef('e.ts', '<', 'pl.until_ts');
    if (pageviews) q = q.where('e.type', '=', 'pageview');
    return q.orderBy('e.ts').orderBy('e.id').limit(1);
  };
  const ids = leadIds as string[];
  const links = [
    ...(await db
      .selectFrom('lead_visitors as lv')
      .select((eb) => ['lv.lead_id', firstEvent(true, 'lv')(eb).as('page'), firstEvent(false, 'lv')(eb).as('any')])
      .where('lv.lead_id', 'in', ids)
      .execute()),
    ...(await db
      .selectFrom('past_links as pl')
      .select((eb) => ['pl.lead_id', firstEvent(true, 'pl')(eb).as('page'), firstEvent(false, 'pl')(eb).as('any')])
      .where('pl.lead_id', 'in', ids)
      .execute()),
  ] as Array<{ lead_id: string; page: string | null; any: string | null }>;
  const eventIds = [...new Set(links.flatMap((l) => [l.page, l.any]).filter((id): id is string => !!id))];
  type Found = { id: string; ts: number; stage: FunnelStage | null; category: string | null; path: string; session_id: string };
  const events = new Map<string, Found>();
  for (let i = 0; i < eventIds.length; i += BATCH) {
    const rows = await db.selectFrom('events').select(['id', 'ts', 'stage', 'category', 'path', 'session_id']).where('site_id', '=', site).where('id', 'in', eventIds.slice(i, i + BATCH)).execute();
    for (const r of rows) events.set(r.id, { ...r, ts: Number(r.ts) });
  }
  const earliest = (a: Found | undefined, b: Found | undefined) => (!a ? b : !b ? a : a.ts < b.ts || (a.ts === b.ts && a.id < b.id) ? a : b);
  const firsts = new Map<string, { page?: Found; any?: Found }>();
  for (const l of links) {
    const seen = firsts.get(l.lead_id) ?? {};
    firsts.set(l.lead_id, { page: earliest(seen.page, l.page ? events.get(l.page) : undefined), any: earliest(seen.any, l.any ? events.get(l.any) : undefined) });
  }
  const sessionIds = [...new Set([...firsts.values()].flatMap((f) => (f.any ? [f.any.session_id] : [])))];
  const campaigns = new Map<string, Campaign | null>();
  for (let i = 0; i < sessionIds.length; i += BATCH) {
    const rows = await db.selectFrom('sessions').select(['session_id', 'campaign']).where('site_id', '=', site).where('session_id', 'in', sessionIds.slice(i, i + BATCH)).execute();
    for (const r of rows) campaigns.set(r.session_id, fromJsonOrNull(r.campaign));
  }
  const touches = new Map<string, FirstTouch>();
  for (const [leadId, f] of firsts) {
    const c = f.any ? (campaigns.get(f.any.session_id) ?? null) : null;
    touches.set(leadId, {
      path: f.page?.path ?? null,
      stage: f.page?.stage ?? null,
      category: f.page?.category ?? null,
      source: c?.source ?? null,
      medium: c?.medium ?? null,
      campaign: c?.campaign ?? null,
      referred: !c?.source && !!c?.referrer,
    });
  }
  if (Array.isArray(leadIds)) for (const id of leadIds) if (!touches.has(id)) touches.set(id, NO_TOUCH);
  return touches;
}
