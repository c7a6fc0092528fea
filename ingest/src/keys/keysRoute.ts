import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { parseJsonBody } from '../http/parseJsonBody.js';
import { createKeyStore } from './keyStore.js';

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

  app.post('/', async (c) => {
    const created = await keys.create(await parseJsonBody(c, newKeySchema));
    return c.json({ id: created.id, name: created.name, scopes: created.scopes, key: created.key, prefix: created.prefix, createdAt: created.createdAt }, 201);
  });

  app.get('/', async (c) => c.json({ keys: await keys.list() }));

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await keys.revoke(id))) throw new ApiError(404, 'not_found', `id: no unrevoked key "${id}"`, { field: 'id' });
    return c.body(null, 204);
  });

  return app;
}
