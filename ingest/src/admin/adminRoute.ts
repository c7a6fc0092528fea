import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { ApiError } from '../http/apiError.js';
import { survivingLeadId } from '../leads/survivingLeadId.js';
import { rescoreAll } from './rescore.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';

/**
 * Admin actions (secret key). `POST /v1/admin/rescore` replays every lead (or `?lead=<id>`: a
 * merged lead's id stands for the lead it was merged into) under the current rules and reports
 * what changed.
 *
 * @example
 * app.route('/v1/admin', createAdminRoute({ db, scorers }));
 */
export function createAdminRoute({ db, scorers, now = Date.now }: { db: Kysely<Database>; scorers: Map<string, Scorer>; now?: () => number }) {
  const app = new Hono();
  // `?lead=<id>` replays one lead only.
  app.post('/rescore', describeRoute({
    tags: ['Admin'],
    summary: 'Replay every lead (or one) under the current rules and report what changed',
    ...requiresKey('admin'),
    parameters: queryParameters(z.object({ lead: z.string().optional() }), { lead: 'Only this lead' }),
    responses: { 200: jsonAnswer('What the replay changed', { type: 'object' }), ...errorResponses(401, 403, 404) },
  }), async (c) => {
    const asked = c.req.query('lead');
    // A merged lead's id replays the lead it was merged into; an id that is no lead is 404, not "0 leads replayed".
    const leadId = asked === undefined ? undefined : await survivingLeadId(db, asked);
    if (asked !== undefined && !leadId) throw new ApiError(404, 'not_found', `lead: no lead "${asked}"`, { field: 'lead' });
    return c.json(await rescoreAll(db, scorers, { now, leadId }));
  });
  return app;
}
