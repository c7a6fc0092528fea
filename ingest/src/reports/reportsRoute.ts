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
import { speedToLead } from './speedToLead.js';

const querySchema = z.object({
  site: z.string().optional(),
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time')
    .transform((s) => Date.parse(s))
    .optional(),
});

const HOUR = 3_600_000;

/** How the route counts, for its doc comment and its OpenAPI description alike. */
const definition =
  'A handover is scoring (live or in a rescore) taking a lead from below MQL to MQL or SQL in the period [since, now); a later MQL → SQL step by scoring continues the same handover, and merged leads are left out. ' +
  'Its answer is the lead\'s first sales feedback (`POST /v1/leads/{id}/feedback`) at or after the handover. ' +
  'Response times are from handover to answer, median and 90th percentile by nearest rank; answeredWithinHour counts answers at most 60 minutes after their handover. ' +
  'The same figures as the dashboard overview\'s speed to lead, and the same answers the follow-up agreement counts.';

/**
 * Reports (secret key). `GET /v1/reports/speed-to-lead`: how fast sales answered the handovers
 * of `[since, now)` (one site's, or all sites' without `site`), and how many are still
 * unanswered. Read from the handovers kept on the stage changes, counted and ranked in the
 * database by `speedToLead` (the overview's figures; see `definition`).
 *
 * @example
 * app.route('/v1/reports', createReportsRoute({ db }));
 */
export function createReportsRoute({ db, siteKeys, now = Date.now }: { db: Kysely<Database>; /** The config's sites: another `site` is a 404, as on the other reports. */ siteKeys?: ReadonlySet<string>; now?: () => number }) {
  const app = new Hono();
  app.get('/speed-to-lead', describeRoute({
    tags: ['Reports'],
    summary: 'How fast sales answered handovers (a lead qualifying, to the first feedback at or after it)',
    description: definition,
    ...requiresKey('read'),
    parameters: queryParameters(querySchema, { site: 'Only this site (default: all sites)', since: 'Handovers since this ISO 8601 time, up to now (default: 30 days ago)' }),
    responses: {
      200: jsonAnswer('Handovers, answered and not, and the response times', {
        type: 'object',
        properties: {
          since: { type: 'string', format: 'date-time' },
          handovers: { type: 'integer', description: 'Handovers in the period' },
          answered: { type: 'integer', description: 'Of them, answered by sales' },
          unanswered: { type: 'integer', description: 'Of them, not answered yet' },
          responseSeconds: {
            type: 'object',
            description: 'Seconds from handover to answer, nearest rank; null without answers',
            properties: { median: { type: ['number', 'null'] }, p90: { type: ['number', 'null'] } },
          },
          answeredWithinHour: { type: 'integer', description: 'Answered at most 60 minutes after the handover' },
        },
      }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    if (query.data.site && siteKeys && !siteKeys.has(query.data.site)) throw new ApiError(404, 'not_found', `site: no site "${query.data.site}" in the config file`, { field: 'site' });
    const to = now();
    const since = query.data.since ?? to - 30 * 86_400_000;
    // An empty `site=` is no site, as before: all sites.
    const figures = await speedToLead(db, { site: query.data.site || undefined, from: since, to }, { withinMs: HOUR });
    const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
    return c.json({
      since: new Date(since).toISOString(),
      handovers: figures.handovers,
      answered: figures.answered,
      unanswered: figures.handovers - figures.answered,
      responseSeconds: { median: seconds(figures.medianMs), p90: seconds(figures.p90Ms) },
      answeredWithinHour: figures.answeredWithin,
    });
  });
  return app;
}
