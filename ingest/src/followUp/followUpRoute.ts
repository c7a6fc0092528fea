import { Hono, type Context } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { followUpSummary } from './followUpSummary.js';
import { weeklyEvaluation } from './weeklyEvaluation.js';

/** Times a report can cover: the default period reaches back a week from `to`, which must stay a date. */
const EARLIEST = 0;
const LATEST = Date.UTC(9999, 11, 31);

const time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time')
  .transform((s) => Date.parse(s))
  .refine((t) => t >= EARLIEST && t <= LATEST, 'a time from 1970 to 9999');

/** `site` (default: the first in the config file), `from` and `to` (default: the last 7 days). */
export const periodQuerySchema = z.object({ site: z.string().min(1).optional(), from: time.optional(), to: time.optional() }).strict();

const WEEK_MS = 7 * 86_400_000;

const int = { type: 'integer' };
const periodParameters = queryParameters(periodQuerySchema, { site: 'The site key (default: the first in the config file)', from: 'Start, ISO 8601 (default: 7 days before `to`)', to: 'End, ISO 8601, exclusive (default: now)' });
const outcomeCounts = { mqls: int, accepted: int, rejected: int, rejectedFor: { type: 'object', additionalProperties: int, description: 'Rejections by the reason sales gave' }, won: int, lost: int, contacted: int, noAnswer: int };

/**
 * Follow-up reports (read scope, under `/v1/reports`): `GET /follow-up` — MQLs of the period,
 * answered within the agreement, open and overdue ones; `GET /weekly-evaluation` — MQLs by
 * outcome, by first-touch content and by campaign. Read-only.
 *
 * @example
 * app.route('/v1/reports', createFollowUpRoute({ db, config }));
 */
export function createFollowUpRoute({ db, config, now = Date.now }: { db: Kysely<Database>; config: LeadbeamConfig; now?: () => number }) {
  const app = new Hono();
  const period = (c: Context) => {
    const parsed = periodQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw ApiError.fromZod(parsed.error);
    const site = parsed.data.site ? config.sites.find((s) => s.key === parsed.data.site) : config.sites[0];
    if (!site) throw new ApiError(404, 'not_found', `site: no site "${parsed.data.site}" in the config file`, { field: 'site' });
    const to = parsed.data.to ?? now();
    const from = parsed.data.from ?? to - WEEK_MS;
    if (from >= to) throw new ApiError(400, 'invalid_request', 'from: must be before "to"', { field: 'from' });
    return { site, from, to };
  };
  app.get('/follow-up', describeRoute({
    tags: ['Reports'],
    summary: "The follow-up agreement: MQLs handed to sales in the period, answered within the site's response time, open and overdue",
    ...requiresKey('read'),
    parameters: periodParameters,
    responses: {
      200: jsonAnswer('MQLs and how sales answered them', {
        type: 'object',
        properties: {
          site: { type: 'string' },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          responseMinutes: int,
          mqls: int,
          answered: int,
          answeredWithin: { type: 'object', properties: { count: int, share: { type: ['number', 'null'] } } },
          open: int,
          overdue: int,
          openLeads: {
            type: 'array',
            items: { type: 'object', properties: { leadId: { type: 'string' }, email: { type: 'string' }, company: { type: ['string', 'null'] }, stage: { type: 'string' }, qualifiedAt: { type: 'string', format: 'date-time' }, deadline: { type: 'string', format: 'date-time' }, overdue: { type: 'boolean' }, overdueMinutes: int } },
          },
        },
      }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const { site, from, to } = period(c);
    return c.json(await followUpSummary(db, site, { from, to, now: now() }));
  });
  app.get('/weekly-evaluation', describeRoute({
    tags: ['Reports'],
    summary: 'The weekly evaluation for marketing and sales: MQLs by outcome (and rejection reason), by first-touch content and by first-visit campaign',
    ...requiresKey('read'),
    parameters: periodParameters,
    responses: {
      200: jsonAnswer('MQLs of the period by outcome, content and campaign', {
        type: 'object',
        properties: {
          site: { type: 'string' },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          outcomes: { type: 'object', properties: outcomeCounts },
          byContent: { type: 'array', items: { type: 'object', properties: { stage: { type: ['string', 'null'] }, category: { type: ['string', 'null'] }, path: { type: ['string', 'null'] }, ...outcomeCounts } } },
          byCampaign: { type: 'array', items: { type: 'object', properties: { source: { type: ['string', 'null'] }, medium: { type: ['string', 'null'] }, campaign: { type: ['string', 'null'] }, ...outcomeCounts } } },
        },
      }),
      ...errorResponses(400, 401, 403, 404),
    },
  }), async (c) => {
    const { site, from, to } = period(c);
    return c.json(await weeklyEvaluation(db, site, { from, to }));
  });
  return app;
}
