import { Hono } from 'hono';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { registry } from './metrics.js';

/**
 * `/health` (the process is alive), `/ready` (the database answers: for a load balancer's
 * readiness check) and `/metrics` (Prometheus text; the caller puts an admin key in front).
 *
 * @example
 * app.route('/', createOpsRoute({ db }));
 */
export function createOpsRoute({ db }: { db: Kysely<Database> }) {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/ready', async (c) => {
    try {
      await sql`select 1`.execute(db);
      return c.json({ ready: true });
    } catch {
      return c.json({ ready: false, database: 'not answering' }, 503, { 'Retry-After': '5' });
    }
  });
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  return app;
}
