import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { newId } from '../scoring/scoreEvents.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { WEBHOOK_EVENTS } from './enqueue.js';
import { fromJson, toJson } from '../db/json.js';
import { webhookUrlSchema } from './webhookUrl.js';
import { generateSecret, secretProblem, standardSecret } from './sign.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { pathParameter } from '../openapi/pathParameter.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { schemaRef } from '../openapi/schemaRef.js';

/**
 * A webhook as the API registers it; its URL must be public unless `allowPrivate`.
 *
 * @example
 * const schema = webhookSchema({ allowPrivate: false });
 */
export const webhookSchema = ({ allowPrivate = false }: { allowPrivate?: boolean } = {}) =>
  z
    .object({
      url: webhookUrlSchema({ allowPrivate }),
      /**
       * The signing secret; made up (`whsec_` + base64 of 32 random bytes) and returned once
       * when not given. A given `whsec_` secret must be base64 of 24–64 bytes; other secrets of
       * at least 16 characters are still accepted (see `standardSecret` in sign.ts).
       */
      secret: z
        .string()
        .superRefine((s, ctx) => {
          const problem = secretProblem(s);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
      /** Only this site's leads; every site when absent. */
      site: z.string().optional(),
    })
    .strict();

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

/**
 * Webhooks for other systems (secret key): register, list, delete, and read the delivery log
 * with every attempt. URLs aimed at loopback, private or internal hosts are refused (400 on
 * `url`) unless `allowPrivateWebhooks`.
 *
 * @example
 * app.route('/v1/webhooks', createWebhooksRoute({ db }));
 */
export function createWebhooksRoute({ db, now = Date.now, allowPrivateWebhooks = false }: { db: Kysely<Database>; now?: () => number; allowPrivateWebhooks?: boolean }) {
  const app = new Hono();
  const schema = webhookSchema({ allowPrivate: allowPrivateWebhooks });
  const present = (h: Database['webhooks'] extends infer T ? T : never) => ({
    id: h.id,
    url: h.url,
    events: fromJson(h.events),
    site: h.site_id,
    source: h.id.startsWith('wh_cfg_') ? 'config' : 'api',
    createdAt: iso(h.created_at),
  });

  const idParameter = pathParameter('id', 'The webhook’s id');

  app.post('/', describeRoute({
    tags: ['Webhooks'],
    summary: 'Register a webhook: deliveries signed by Standard Webhooks, for the lead events chosen',
    ...requiresKey('admin'),
    requestBody: jsonBody(schema, 'Where to deliver (a public http(s) URL), which events, and optionally the secret and one site'),
    responses: {
      201: jsonAnswer('The webhook, with its secret and `standardSecret` (what a Standard Webhooks library verifies with), shown this once', {
        allOf: [schemaRef('Webhook'), { type: 'object', properties: { secret: { type: 'string' }, standardSecret: { type: 'string' } }, required: ['secret', 'standardSecret'] }],
      }),
      ...errorResponses(400, 401, 403),
    },
  }), async (c) => {
    const parsed = await parseJsonBody(c, schema);
    const secret = parsed.secret ?? generateSecret();
    const row = { id: newId('wh'), site_id: parsed.site ?? null, url: parsed.url, secret, events: toJson(parsed.events), created_at: now() };
    await db.insertInto('webhooks').values(row).execute();
    // `standardSecret` is what a Standard Webhooks library verifies with: the secret itself
    // when it is `whsec_<base64>`, else `whsec_` + base64 of its bytes. Shown only here.
    return c.json({ ...present(row), secret, standardSecret: standardSecret(secret) }, 201);
  });

  app.get('/', describeRoute({
    tags: ['Webhooks'],
    summary: 'The webhooks, from the API and the config file, without secrets',
    ...requiresKey('admin'),
    responses: { 200: jsonAnswer('Every webhook', { type: 'object', properties: { webhooks: { type: 'array', items: schemaRef('Webhook') } } }), ...errorResponses(401, 403) },
  }), async (c) => c.json({ webhooks: (await db.selectFrom('webhooks').selectAll().orderBy('created_at').execute()).map(present) }));

  app.delete('/:id', describeRoute({
    tags: ['Webhooks'],
    summary: 'Delete a webhook; its pending deliveries are given up',
    ...requiresKey('admin'),
    parameters: [idParameter],
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
  }), async (c) => {
    const id = c.req.param('id');
    if (id.startsWith('wh_cfg_')) throw new ApiError(409, 'conflict', `id: webhook "${id}" is defined in the config file; remove it there`, { field: 'id' });
    const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    if (!Number(result.numDeletedRows)) throw new ApiError(404, 'not_found', `id: no webhook "${id}"`, { field: 'id' });
    await db.updateTable('webhook_deliveries').set({ status: 'failed' }).where('webhook_id', '=', id).where('status', '=', 'pending').execute();
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', describeRoute({
    tags: ['Webhooks'],
    summary: 'The last 100 deliveries of a webhook, each with every attempt',
    ...requiresKey('admin'),
    parameters: [idParameter],
    responses: {
      200: jsonAnswer('Deliveries, newest first', {
        type: 'object',
        properties: {
          deliveries: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                type: { type: 'string' },
                leadId: { type: 'string' },
                status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
                attempts: { type: 'array', items: { type: 'object', properties: { attempt: { type: 'integer' }, at: { type: ['string', 'null'] }, statusCode: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] }, durationMs: { type: ['integer', 'null'] } } } },
                nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
                createdAt: { type: ['string', 'null'], format: 'date-time' },
                deliveredAt: { type: ['string', 'null'], format: 'date-time' },
                payload: { type: 'object' },
              },
            },
          },
        },
      }),
      ...errorResponses(401, 403),
    },
  }), async (c) => {
    const id = c.req.param('id');
    const deliveries = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).orderBy('created_at', 'desc').limit(100).execute();
    const attempts = deliveries.length
      ? await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveries.map((d) => d.id)).orderBy('attempt').execute()
      : [];
    return c.json({
      deliveries: deliveries.map((d) => ({
        id: d.id,
        type: d.event_type,
        leadId: d.lead_id,
        status: d.status,
        attempts: attempts
          .filter((a) => a.delivery_id === d.id)
          .map((a) => ({ attempt: a.attempt, at: iso(a.at), statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
        nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
        createdAt: iso(d.created_at),
        deliveredAt: iso(d.delivered_at),
        payload: fromJson(d.payload),
      })),
    });
  });

  return app;
}
