import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { registry } from './metrics.js';
import { errorResponses } from '../openapi/errorResponses.js';
import { jsonAnswer } from '../openapi/jsonAnswer.js';
import { requiresKey } from '../openapi/requiresKey.js';

/**
 * `/health` (the process is alive), `/ready` (the database answers: for a load balancer's
 * readiness check) and `/metrics` (Prometheus text; the caller puts an admin key in front).
 *
 * @example
 * app.route('/', createOpsRoute({ db }));
 */
export function createOpsRoute({ db }: { db: Kysely<Database> }) {
  const app = new Hono();
  app.get('/health', describeRoute({ tags: ['Operations'], summary: 'The process is alive', security: [], responses: { 200: jsonAnswer('Alive', { type: 'object', properties: { ok: { const: true } } }) } }), (c) => c.json({ ok: true }));
  app.get('/ready', describeRoute({
    tags: ['Operations'],
    summary: 'The database answers (a load balancer’s readiness check)',
    security: [],
    responses: {
      200: jsonAnswer('Ready', { type: 'object', properties: { ready: { const: true } } }),
      503: jsonAnswer('The database does not answer; `Retry-After: 5`', { type: 'object', properties: { ready: { const: false }, database: { type: 'string' } } }),
    },
  }), async (c) => {
    try {
      await sql`select 1`.execute(db);
      return c.json({ ready: true });
    } catch {
      return c.json({ ready: false, database: 'not answering' }, 503, { 'Retry-After': '5' });
    }
  });
  app.get('/metrics', describeRoute({
    tags: ['Operations'],
    summary: 'Prometheus metrics',
    ...requiresKey('admin'),
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses(401, 403) },
  }), async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  return app;
}
