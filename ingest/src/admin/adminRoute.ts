import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { rescoreAll } from './rescore.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';

/**
 * Admin actions (secret key). `POST /v1/admin/rescore` replays every lead (or `?lead=<id>`)
 * under the current rules and reports what changed.
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
    responses: { 200: jsonAnswer('What the replay changed', { type: 'object' }), ...errorResponses(401, 403) },
  }), async (c) => c.json(await rescoreAll(db, scorers, { now, leadId: c.req.query('lead') })));
  return app;
}
