import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { Database, EventsTable, VisitorsTable } from '../db/schema.js';
import { emptyState, type Scorer } from '../scoring/engine.js';
import { textProblem } from '../collect/unstorable.js';
import { ApiError } from '../http/apiError.js';
import { fromJson, toJson } from '../db/json.js';
import { eventsOfVisitor } from '../leads/leadStore.js';
import { INLINE_REPLAY_MAX_EVENTS } from '../pipeline/scoreSiteEvents.js';
import { markForReplay } from '../replay/replayQueue.js';
import { runLead } from '../scoring/runLead.js';
import { presentEvent } from './presentEvent.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { pathParameter } from '../openapi/pathParameter.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { schemaRef } from '../openapi/schemaRef.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A visitor as other systems see it, with its own (anonymous) engagement score and its lead. */
export function presentVisitor(v: Selectable<VisitorsTable>, scorer: Scorer | undefined, link: { lead_id: string; owns_traits: 0 | 1 } | undefined, now: number) {
  const state = v.score_state ? fromJson(v.score_state) : emptyState();
  return {
    visitorId: v.visitor_id,
    site: v.site_id,
    firstSeenAt: iso(v.first_seen_at),
    lastSeenAt: iso(v.last_seen_at),
    visits: v.visits,
    returning: v.visits > 1,
    events: v.events,
    pageviews: v.pageviews,
    pageviewsByStage: { top: v.pageviews_top, middle: v.pageviews_middle, bottom: v.pageviews_bottom },
    score: { engagement: scorer ? scorer.scoresAt({ ...state, traits: {} }, now).engagement : 0 },
    leadId: link?.lead_id ?? null,
    ownsLeadTraits: link?.owns_traits === 1,
  };
}

/**
 * The visitor with its engagement under the rules in effect. A published rule set rescores
 * leads at once; an anonymous visitor is replayed by the replay worker after its next event, so
 * a read before then scores its history here (a history of more than INLINE_REPLAY_MAX_EVENTS
 * events is queued for the worker, a mark that coalesces, and shown as stored until then).
 */
async function underCurrentRules(db: Kysely<Database>, scorer: Scorer, visitor: Selectable<VisitorsTable>, now: number): Promise<Selectable<VisitorsTable>> {
  if (!visitor.score_state || fromJson(visitor.score_state).rules === scorer.version) return visitor;
  const history = await eventsOfVisitor(db, visitor.site_id, visitor.visitor_id, INLINE_REPLAY_MAX_EVENTS + 1);
  if (history.length > INLINE_REPLAY_MAX_EVENTS) {
    await markForReplay(db, [{ kind: 'visitor', site_id: visitor.site_id, subject_id: visitor.visitor_id }], now);
    return visitor;
  }
  const { state } = runLead(scorer, { state: emptyState(), stage: 'visitor' }, history);
  return { ...visitor, score_state: toJson(state) };
}

const cursorSchema = z.object({ ts: z.number().int().refine(Number.isSafeInteger), id: z.string().refine((id) => !textProblem(id)) });
const encodeCursor = (e: Pick<EventsTable, 'ts' | 'id'>) => Buffer.from(JSON.stringify({ ts: e.ts, id: e.id })).toString('base64url');
function decodeCursor(cursor: string) {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}

const eventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
  site: z.string().optional(),
});

/**
 * `GET /v1/visitors/{visitorId}` and `GET /v1/visitors/{visitorId}/events`, for systems
 * holding the secret key. `?site=` narrows to one site when a visitor id is on several.
 *
 * @example
 * app.route('/v1/visitors', createVisitorsRoute({ db }));
 */
export function createVisitorsRoute({ db, scorers, now = Date.now }: { db: Kysely<Database>; scorers: Map<string, Scorer>; now?: () => number }) {
  const app = new Hono();

  const findVisitor = (visitorId: string, site?: string) => {
    let q = db.selectFrom('visitors').selectAll().where('visitor_id', '=', visitorId);
    if (site) q = q.where('site_id', '=', site);
    return q.orderBy('last_seen_at', 'desc').limit(1).executeTakeFirst();
  };
  const noVisitor = (visitorId: string) => new ApiError(404, 'not_found', `visitorId: no visitor "${visitorId}"`, { field: 'visitorId' });

  const visitorIdParameter = pathParameter('visitorId', 'The visitor id the script (or a Segment `anonymousId`) gave the browser');
  const siteParameter = queryParameters(eventsQuerySchema.pick({ site: true }), { site: 'Only this site (a visitor id may be on several)' });

  app.get('/:visitorId', describeRoute({
    tags: ['Visitors'],
    summary: 'One visitor, with its anonymous engagement score and its lead',
    ...requiresKey('read'),
    parameters: [visitorIdParameter, ...siteParameter],
    responses: { 200: jsonAnswer('The visitor', schemaRef('Visitor')), ...errorResponses(401, 403, 404) },
  }), async (c) => {
    const found = await findVisitor(c.req.param('visitorId'), c.req.query('site'));
    if (!found) throw noVisitor(c.req.param('visitorId'));
    const scorer = scorers.get(found.site_id);
    const visitor = scorer ? await underCurrentRules(db, scorer, found, now()) : found;
    const link = await db.selectFrom('lead_visitors').select(['lead_id', 'owns_traits']).where('site_id', '=', visitor.site_id).where('visitor_id', '=', visitor.visitor_id).executeTakeFirst();
    return c.json(presentVisitor(visitor, scorer, link, now()));
  });

  app.get('/:visitorId/events', describeRoute({
    tags: ['Visitors'],
    summary: 'A visitor’s events, newest first, a page at a time',
    ...requiresKey('read'),
    parameters: [visitorIdParameter, ...queryParameters(eventsQuerySchema, { limit: 'Events a page', cursor: 'The `nextCursor` of the previous page', site: 'Only this site (a visitor id may be on several)' })],
    responses: {
      200: jsonAnswer('A page of events; `nextCursor` is null on the last', {
        type: 'object',
        properties: { visitorId: { type: 'string' }, site: { type: 'string' }, events: { type: 'array', items: schemaRef('Event') }, nextCursor: { type: ['string', 'null'] } },
      }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const query = eventsQuerySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const { limit, cursor, site } = query.data;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) throw new ApiError(400, 'invalid_request', 'cursor: not a cursor this API gave out', { field: 'cursor' });

    const visitor = await findVisitor(c.req.param('visitorId'), site);
    if (!visitor) throw noVisitor(c.req.param('visitorId'));

    let q = db
      .selectFrom('events')
      .selectAll()
      .where('visitor_id', '=', visitor.visitor_id)
      .where('site_id', '=', visitor.site_id);
    if (after) q = q.where((eb) => eb.or([eb('ts', '<', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '<', after.id)])]));
    const rows = await q.orderBy('ts', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return c.json({
      visitorId: visitor.visitor_id,
      site: visitor.site_id,
      events: page.map(presentEvent),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    });
  });

  return app;
}
