import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { createKeyStore } from './keyStore.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { jsonBody } from '../openapi/jsonBody.js';
import { pathParameter } from '../openapi/pathParameter.js';
import { requiresKey } from '../openapi/requiresKey.js';
import { schemaRef } from '../openapi/schemaRef.js';

export const KEY_SCOPES = ['read', 'write', 'admin'] as const;

export const newKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(KEY_SCOPES)).min(1),
  })
  .strict();

/**
 * Named API keys (admin scope): create one (the key is in that answer and nowhere else), list
 * them without key material, revoke one.
 *
 * @example
 * app.route('/v1/keys', createKeysRoute({ db }));
 */
export function createKeysRoute({ db, now }: { db: Kysely<Database>; now?: () => number }) {
  const keys = createKeyStore({ db, now });
  const app = new Hono();

  app.post('/', describeRoute({
    tags: ['Keys'],
    summary: 'Create a named key with scopes; the key is in this answer and nowhere else',
    ...requiresKey('admin'),
    requestBody: jsonBody(newKeySchema, 'Its name and scopes (`read`: lookups and reports; `write`: events and sales feedback; `admin`: everything)'),
    responses: {
      201: jsonAnswer('The key, shown this once (only its SHA-256 is stored)', { allOf: [schemaRef('ApiKey'), { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] }] }),
      ...errorResponses(400, 401, 403),
    },
  }), async (c) => {
    const created = await keys.create(await parseJsonBody(c, newKeySchema));
    return c.json({ id: created.id, name: created.name, scopes: created.scopes, key: created.key, prefix: created.prefix, createdAt: created.createdAt }, 201);
  });

  app.get('/', describeRoute({
    tags: ['Keys'],
    summary: 'The named keys, without key material',
    ...requiresKey('admin'),
    responses: { 200: jsonAnswer('Every key, revoked ones too', { type: 'object', properties: { keys: { type: 'array', items: schemaRef('ApiKey') } } }), ...errorResponses(401, 403) },
  }), async (c) => c.json({ keys: await keys.list() }));

  app.delete('/:id', describeRoute({
    tags: ['Keys'],
    summary: 'Revoke a key; it is refused (401) from then on',
    ...requiresKey('admin'),
    parameters: [pathParameter('id', 'The key’s id')],
    responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
  }), async (c) => {
    const id = c.req.param('id');
    if (!(await keys.revoke(id))) throw new ApiError(404, 'not_found', `id: no unrevoked key "${id}"`, { field: 'id' });
    return c.body(null, 204);
  });

  return app;
}
