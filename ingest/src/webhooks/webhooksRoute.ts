import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { listDeliveries } from './listDeliveries.js';
import { listWebhooks } from './listWebhooks.js';
import { registerWebhook } from './registerWebhook.js';
import { removeWebhook } from './removeWebhook.js';
import { resendDelivery } from './resendDelivery.js';
import { webhookSchema } from './webhookSchema.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { pathParameter } from '../openapi/pathParameter.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { schemaRef } from '../openapi/schemaRef.js';

// The schema lives beside the domain functions the dashboard shares; exported here as before.
export { webhookSchema };

/**
 * Webhooks for other systems (secret key): register, list, delete, read the delivery log
 * with every attempt, and resend a delivery (`onCommitted` then kicks the dispatcher). URLs
 * aimed at loopback, private or internal hosts are refused (400 on `url`) unless
 * `allowPrivateWebhooks`. The work is done by the domain functions the dashboard shares.
 *
 * @example
 * app.route('/v1/webhooks', createWebhooksRoute({ db }));
 */
export function createWebhooksRoute({
  db,
  now = Date.now,
  allowPrivateWebhooks = false,
  siteKeys,
  onCommitted,
}: {
  db: Kysely<Database>;
  now?: () => number;
  allowPrivateWebhooks?: boolean;
  /** The config file's sites: a webhook may only name one of them. */
  siteKeys?: ReadonlySet<string>;
  onCommitted?: () => void;
}) {
  const app = new Hono();
  const schema = webhookSchema({ allowPrivate: allowPrivateWebhooks, siteKeys });

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
    // `standardSecret` is what a Standard Webhooks library verifies with: the secret itself
    // when it is `whsec_<base64>`, else `whsec_` + base64 of its bytes. Shown only here.
    return c.json(await registerWebhook(db, await parseJsonBody(c, schema), { now }), 201);
  });

  app.get('/', describeRoute({
    tags: ['Webhooks'],
    summary: 'The webhooks, from the API and the config file, without secrets',
    ...requiresKey('admin'),
    responses: { 200: jsonAnswer('Every webhook', { type: 'object', properties: { webhooks: { type: 'array', items: schemaRef('Webhook') } } }), ...errorResponses(401, 403) },
  }), async (c) => c.json({ webhooks: await listWebhooks(db) }));

  app.delete('/:id', describeRoute({
    tags: ['Webhooks'],
    summary: 'Delete a webhook; its pending deliveries are given up',
    ...requiresKey('admin'),
    parameters: [idParameter],
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
  }), async (c) => {
    await removeWebhook(db, c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/:id/deliveries', describeRoute({
    tags: ['Webhooks'],
    summary: 'The last 100 deliveries of a webhook, each with every attempt',
    description: 'A removed webhook’s log stays readable; an id that is no webhook and has no delivery logged answers 404.',
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
      ...errorResponses(401, 403, 404),
    },
  }), async (c) => c.json({ deliveries: (await listDeliveries(db, c.req.param('id'))).map(({ webhookId: _, ...d }) => d) }));

  app.post('/deliveries/:id/resend', describeRoute({
    tags: ['Webhooks'],
    summary: 'Send a delivery again (same id and body, signed anew), e.g. after the receiver was down; it is due at once and retried as usual',
    ...requiresKey('admin'),
    parameters: [pathParameter('id', 'The delivery’s id (`Leadbeam-Delivery`, `webhook-id`)')],
    responses: {
      202: jsonAnswer('The delivery, queued to be sent now', {
        type: 'object',
        properties: { id: { type: 'string' }, webhookId: { type: 'string' }, status: { const: 'pending' } },
        required: ['id', 'webhookId', 'status'],
      }),
      ...errorResponses(401, 403, 404, 409),
    },
  }), async (c) => {
    const resent = await resendDelivery(db, c.req.param('id'), { now });
    onCommitted?.();
    return c.json({ ...resent, status: 'pending' as const }, 202);
  });

  return app;
}
