import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';

const querySchema = z.object({
  site: z.string().optional(),
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time')
    .transform((s) => Date.parse(s))
    .optional(),
});

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]! : null);

/**
 * Reports (secret key). `GET /v1/reports/speed-to-lead`: how fast sales answered handovers
 * (a lead qualifying, to the first feedback after it), and how many are still unanswered.
 *
 * @example
 * app.route('/v1/reports', createReportsRoute({ db }));
 */
export function createReportsRoute({ db, now = Date.now }: { db: Kysely<Database>; now?: () => number }) {
  const app = new Hono();
  app.get('/speed-to-lead', describeRoute({
    tags: ['Reports'],
    summary: 'How fast sales answered handovers (a lead qualifying, to the first feedback after it)',
    ...requiresKey('read'),
    parameters: queryParameters(querySchema, { site: 'Only this site', since: 'Handovers since this ISO 8601 time (default: 30 days ago)' }),
    responses: {
      200: jsonAnswer('Handovers, answered and not, and the response times', {
        type: 'object',
        properties: {
          since: { type: 'string', format: 'date-time' },
          handovers: { type: 'integer' },
          answered: { type: 'integer' },
          unanswered: { type: 'integer' },
          responseSeconds: { type: 'object', properties: { median: { type: ['number', 'null'] }, p90: { type: ['number', 'null'] } } },
          answeredWithinHour: { type: 'integer' },
        },
      }),
      ...errorResponses(400, 401, 403),
    },
  }), async (c) => {
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const since = query.data.since ?? now() - 30 * 86_400_000;
    let answered = db.selectFrom('feedback').innerJoin('leads', 'leads.id', 'feedback.lead_id').select(['feedback.response_ms']).where('feedback.response_ms', 'is not', null).where('feedback.handover_at', '>=', since);
    let handovers = db
      .selectFrom('stage_changes')
      .innerJoin('leads', 'leads.id', 'stage_changes.lead_id')
      .select(['stage_changes.lead_id', 'stage_changes.at'])
      .where('stage_changes.source', '=', 'scoring')
      .where('stage_changes.to_stage', 'in', ['mql', 'sql'])
      .where('stage_changes.at', '>=', since);
    if (query.data.site) {
      answered = answered.where('leads.site_id', '=', query.data.site);
      handovers = handovers.where('leads.site_id', '=', query.data.site);
    }
    const times = (await answered.execute()).map((r) => Number(r.response_ms) / 1000);
    const all = await handovers.execute();
    const withinHour = times.filter((s) => s <= 3600).length;
    return c.json({
      since: new Date(since).toISOString(),
      handovers: all.length,
      answered: times.length,
      unanswered: Math.max(0, all.length - times.length),
      responseSeconds: { median: quantile(times, 0.5), p90: quantile(times, 0.9) },
      answeredWithinHour: withinHour,
    });
  });
  return app;
}
