import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { textProblem } from '../collect/unstorable.js';
import { survivingLeadId } from './survivingLeadId.js';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { STAGES } from '../scoring/lifecycle.js';
import { normaliseEmail } from './email.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { feedbackSchema } from './feedback.js';
import { recordFeedback } from './recordFeedback.js';
import { fromJson } from '../db/json.js';
import { leadSubject } from './leadStore.js';
import { presentLeads } from './presentLead.js';
import { mergeLeads } from './mergeLeads.js';
import { eraseLead } from '../privacy/eraseLead.js';
import { exportLead } from '../privacy/exportLead.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { pathParameter } from '../openapi/pathParameter.js';
import { queryParameters } from '../openapi/queryParameters.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { schemaRef } from '../openapi/schemaRef.js';

const listQuerySchema = z.object({
  email: z.string().optional(),
  site: z.string().optional(),
  stage: z.enum(STAGES).optional(),
  minScore: z.coerce.number().finite().optional(),
  updatedSince: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time, e.g. 2026-11-01T00:00:00Z')
    .transform((s) => Date.parse(s))
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/** A merge: the lead to fold into the one in the path. */
const mergeSchema = z.object({ leadId: z.string().min(1) }).strict();

const encodeCursor = (updatedAt: number, id: string) => Buffer.from(JSON.stringify([updatedAt, id])).toString('base64url');
function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A forged cursor is no cursor: an updatedAt that is no whole millisecond, or an id no store can hold.
    return Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && !textProblem(value[1]) ? [value[0], value[1]] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lead lookups for other systems (secret key): one lead, by email, a filtered list in
 * `updatedAt` order for syncing, and the itemised score.
 *
 * @example
 * app.route('/v1/leads', createLeadsRoute({ db, scorers }));
 */
export function createLeadsRoute({ db, scorers, now = Date.now, onCommitted }: { db: Kysely<Database>; scorers: Map<string, Scorer>; now?: () => number; onCommitted?: () => void }) {
  const app = new Hono();

  /** A lead by id; a merged lead's id answers with the lead it was merged into. */
  const findLead = async (id: string) => {
    const surviving = await survivingLeadId(db, id);
    return surviving === undefined ? undefined : await db.selectFrom('leads').selectAll().where('id', '=', surviving).executeTakeFirst();
  };
  const noLead = (id: string, field = 'id') => new ApiError(404, 'not_found', `${field}: no lead "${id}"`, { field });
  const idParameter = pathParameter('id', 'The lead id; a merged lead’s id answers with the lead it was merged into');

  app.get('/', describeRoute({
    tags: ['Leads'],
    summary: 'Leads by email, or a filtered list in `updatedAt` order for syncing',
    ...requiresKey('read'),
    parameters: queryParameters(listQuerySchema, {
      email: 'The lead of this email (any case or spacing); the other filters but `site` are then ignored',
      site: 'Only this site’s leads',
      stage: 'Only leads in this stage',
      minScore: 'Only leads whose total score is at least this',
      updatedSince: 'Only leads changed since this ISO 8601 time',
      limit: 'Leads a page',
      cursor: 'The `nextCursor` of the previous page',
    }),
    responses: {
      200: jsonAnswer('A page of leads; `nextCursor` is null on the last', { type: 'object', properties: { leads: { type: 'array', items: schemaRef('Lead') }, nextCursor: { type: ['string', 'null'] } } }),
      ...errorResponses(400, 401, 403),
    },
  }), async (c) => {
    const query = listQuerySchema.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error);
    const { email, site, stage, minScore, updatedSince, limit, cursor } = query.data;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) throw new ApiError(400, 'invalid_request', 'cursor: not a cursor this API gave out', { field: 'cursor' });
    let q = db.selectFrom('leads').selectAll();
    if (email !== undefined) {
      const normal = normaliseEmail(email);
      if (!normal) throw new ApiError(400, 'invalid_request', `email: "${email}" is not an email address`, { field: 'email' });
      const matches = await db.selectFrom('leads').select('id').where('email', '=', normal).execute();
      const found = (await Promise.all(matches.map((m) => findLead(m.id)))).filter((l): l is NonNullable<typeof l> => !!l && (!site || l.site_id === site));
      const unique = [...new Map(found.map((l) => [l.id, l])).values()];
      return c.json({ leads: await presentLeads(db, scorers, unique, now()), nextCursor: null });
    }
    q = q.where('merged_into', 'is', null);
    if (site) q = q.where('site_id', '=', site);
    if (stage) q = q.where('stage', '=', stage);
    if (updatedSince !== undefined) q = q.where('updated_at', '>=', updatedSince);
    // Decay and caps only ever lower a positive score: a cheap filter first, the exact one below.
    if (minScore !== undefined) q = q.where((eb) => eb(eb(eb.case().when('engagement', '>', 0).then(eb.ref('engagement')).else(0).end(), '+', eb.ref('fit')), '>=', minScore));
    if (after) q = q.where((eb) => eb.or([eb('updated_at', '>', after[0]), eb.and([eb('updated_at', '=', after[0]), eb('id', '>', after[1])])]));
    const rows = await q.orderBy('updated_at').orderBy('id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const leads = (await presentLeads(db, scorers, page, now())).filter((l) => minScore === undefined || l.score.total >= minScore);
    const last = page[page.length - 1];
    return c.json({ leads, nextCursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.id) : null });
  });

  app.get('/:id', describeRoute({ tags: ['Leads'], summary: 'One lead: score, stage history, visitors, traits', ...requiresKey('read'), parameters: [idParameter], responses: { 200: jsonAnswer('The lead', schemaRef('Lead')), ...errorResponses(401, 403, 404) } }), async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) throw noLead(c.req.param('id'));
    const [presented] = await presentLeads(db, scorers, [lead], now());
    return c.json(presented);
  });

  app.get('/:id/score', describeRoute({
    tags: ['Leads'],
    summary: 'The itemised score: each rule hit with its event and its points as of now',
    ...requiresKey('read'),
    parameters: [idParameter],
    responses: {
      200: jsonAnswer('The score and its items; the items’ `remaining` add up to `engagement` and `fit`', {
        type: 'object',
        required: ['leadId', 'ruleVersion', 'at', 'engagement', 'fit', 'total', 'items'],
        properties: {
          leadId: { type: 'string' },
          ruleVersion: { type: 'string' },
          at: { type: 'string', format: 'date-time', description: 'The moment the score is decayed to: now' },
          engagement: { type: 'number' },
          fit: { type: 'number' },
          total: { type: 'number' },
          items: {
            type: 'array',
            description: 'Each rule hit (engagement first, oldest first), then a line for a cap or rounding where the items would not add up to the score shown',
            items: {
              type: 'object',
              required: ['kind', 'eventId', 'ruleId', 'ts', 'points', 'remaining'],
              properties: {
                kind: { type: 'string', enum: ['engagement', 'fit'], description: 'Which score the item counts towards' },
                eventId: { type: ['string', 'null'], description: 'The event that hit the rule; null for a fit rule (from traits) and for the `cap:<kind>` and `rounding:<kind>` lines' },
                ruleId: { type: 'string', description: 'The rule’s id, or `cap:engagement`, `cap:fit`, `rounding:engagement`, `rounding:fit`' },
                ts: { type: ['string', 'null'], format: 'date-time', description: 'When the event happened; null where `eventId` is' },
                points: { type: 'number', description: 'The points the rule gave (0 for a cap or rounding line)' },
                remaining: { type: 'number', description: 'What is left of them now, after decay, rounded to two decimals (a cap or rounding line: its correction, maybe negative)' },
              },
            },
          },
        },
      }),
      ...errorResponses(401, 403, 404, 409),
    },
  }), async (c) => {
    const lead = await findLead(c.req.param('id'));
    if (!lead) throw noLead(c.req.param('id'));
    const scorer = scorers.get(lead.site_id);
    if (!scorer) throw new ApiError(409, 'conflict', `site "${lead.site_id}" is no longer configured`);
    const hits = await db.selectFrom('score_hits').selectAll().where('subject', '=', leadSubject(lead.id)).orderBy('ts').orderBy('event_id').orderBy('rule_id').execute();
    const at = now();
    const explained = scorer.explain(
      hits.map((h) => ({ eventId: h.event_id, ruleId: h.rule_id, points: h.points, ts: h.ts })),
      scorer.fitHits(fromJson(lead.score_state).traits ?? {}),
      at,
    );
    return c.json({
      leadId: lead.id,
      ruleVersion: lead.rule_version,
      at: new Date(at).toISOString(),
      engagement: explained.engagement,
      fit: explained.fit,
      total: explained.total,
      items: explained.items.map((i) => ({ ...i, ts: i.ts ? new Date(i.ts).toISOString() : null })),
    });
  });

  // Everything held about one person (an access request), as a JSON download.
  app.get('/:id/export', describeRoute({
    tags: ['Leads'],
    summary: 'Everything held about one person (an access request), as a JSON download',
    ...requiresKey('admin'),
    parameters: [idParameter],
    responses: { 200: jsonAnswer('The person’s lead, visitors, events, changes and deliveries', { type: 'object' }), ...errorResponses(401, 403, 404) },
  }), async (c) => {
    // A merged lead's id exports the lead it was merged into, the person's whole record.
    const lead = await findLead(c.req.param('id'));
    const data = lead && (await exportLead(db, lead.id));
    if (!data) throw noLead(c.req.param('id'));
    return c.json(data, 200, { 'Content-Disposition': `attachment; filename="leadbeam-${c.req.param('id')}.json"` });
  });

  // Erases one person everywhere (an erasure request); an audit entry without personal data remains.
  app.delete('/:id', describeRoute({
    tags: ['Leads'],
    summary: 'Erase one person everywhere (an erasure request)',
    description: 'The lead, its visitors’ events and every copy; an audit entry without personal data remains.',
    ...requiresKey('admin'),
    parameters: [idParameter],
    responses: { 200: jsonAnswer('What was erased, counted', { type: 'object', properties: { erased: { type: 'object' } } }), ...errorResponses(401, 403, 404) },
  }), async (c) => {
    const report = await eraseLead(db, c.req.param('id'), { actor: 'api', now: now() });
    if (!report) throw noLead(c.req.param('id'));
    return c.json({ erased: report });
  });

  app.post('/:id/merge', describeRoute({
    tags: ['Leads'],
    summary: 'Merge another lead into this one (the same person under two emails)',
    ...requiresKey('admin'),
    parameters: [idParameter],
    requestBody: jsonBody(mergeSchema, 'The lead to merge into the one in the path; its visitors and history move over'),
    responses: { 200: jsonAnswer('The surviving lead, rescored', schemaRef('Lead')), ...errorResponses(400, 401, 403, 404, 409) },
  }), async (c) => {
    const parsed = await parseJsonBody(c, mergeSchema);
    const result = await mergeLeads(db, scorers, c.req.param('id'), parsed.leadId, now());
    onCommitted?.();
    const [presented] = await presentLeads(db, scorers, [(await findLead(result.id))!], now());
    return c.json(presented);
  });

  app.post('/:id/feedback', describeRoute({
    tags: ['Leads'],
    summary: 'Sales feedback from a CRM: accepted, rejected, contacted, opportunity, won, lost',
    ...requiresKey('write'),
    parameters: [idParameter],
    requestBody: jsonBody(feedbackSchema, 'What sales did with the lead; moves its stage'),
    responses: {
      200: jsonAnswer('The stage change and the lead', {
        type: 'object',
        properties: {
          feedback: { type: 'object', properties: { type: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, responseSeconds: { type: ['number', 'null'] } } },
          lead: schemaRef('Lead'),
        },
      }),
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }), async (c) => {
    const parsed = await parseJsonBody(c, feedbackSchema);
    const result = await recordFeedback(db, scorers, c.req.param('id'), parsed, now());
    onCommitted?.();
    const lead = await findLead(result.leadId);
    const [presented] = await presentLeads(db, scorers, [lead!], now());
    return c.json({ feedback: { type: parsed.type, from: result.from, to: result.to, responseSeconds: result.responseMs === null ? null : result.responseMs / 1000 }, lead: presented });
  });

  return app;
}
