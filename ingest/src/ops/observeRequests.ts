import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { logger } from './logger.js';
import { requests, requestSeconds } from './metrics.js';

const SAFE_ID = /^[\w.-]{1,64}$/;

/**
 * Gives every request an id (a sane incoming `X-Request-Id`, else a new one, sent back in the
 * answer), counts it in the metrics, and logs one JSON line: id, method, route pattern (never
 * the path itself, which can hold an id or an email), status and duration.
 *
 * @example
 * app.use('*', observeRequests());
 */
export function observeRequests(): MiddlewareHandler {
  return async function observeRequests(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    c.header('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = c.req.routePath;
      const status = c.res.status;
      requests.inc({ method: c.req.method, route, status });
      requestSeconds.observe({ method: c.req.method, route }, seconds);
      logger.info({ requestId, method: c.req.method, route, status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
    }
  };
}
