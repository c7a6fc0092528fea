import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Scorer } from '../scoring/engine.js';
import { rescoreAll } from './rescore.js';

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
  app.post('/rescore', async (c) => c.json(await rescoreAll(db, scorers, { now, leadId: c.req.query('lead') })));
  return app;
}
