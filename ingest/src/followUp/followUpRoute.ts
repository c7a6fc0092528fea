import { Hono, type Context } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { LeadbeamConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { followUpSummary } from './followUpSummary.js';
import { weeklyEvaluation } from './weeklyEvaluation.js';

const time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time')
  .transform((s) => Date.parse(s));

/** `site` (default: the first in the config file), `from` and `to` (default: the last 7 days). */
export const periodQuerySchema = z.object({ site: z.string().min(1).optional(), from: time.optional(), to: time.optional() }).strict();

const WEEK_MS = 7 * 86_400_000;

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
  app.get('/follow-up', async (c) => {
    const { site, from, to } = period(c);
    return c.json(await followUpSummary(db, site, { from, to, now: now() }));
  });
  app.get('/weekly-evaluation', async (c) => {
    const { site, from, to } = period(c);
    return c.json(await weeklyEvaluation(db, site, { from, to }));
  });
  return app;
}
