import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * CORS for `/v1/collect`: a site's allowed origins may send, and only they (the route checks
 * each beacon's origin against its site). Preflights, which the script never needs, go through
 * Hono's `cors` for allowed origins only. A beacon (a simple POST) only needs its origin echoed, and that is
 * set as a prepared header before the route answers: Hono's `cors` writes to `c.res` before
 * the handler runs, which turns every answer into a full web `Response` that is copied and
 * streamed out (measured at about 7 % of the server's time under beacon load).
 *
 * @example
 * app.use('/v1/collect', collectCors(new Set(['https://www.fernhill.example'])));
 */
export function collectCors(allowedOrigins: ReadonlySet<string>): MiddlewareHandler {
  const preflight = cors({
    origin: (origin) => (allowedOrigins.has(origin) ? origin : null),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    maxAge: 86400,
  });
  return async function collectCors(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    // Every beacon's answer is readable by its page, refusals included: the route refuses an
    // origin the site does not allow (403, nothing stored), and a page that cannot read that
    // answer takes it for a network error and retries for ever. The answer tells a foreign page
    // nothing but that refusal.
    const origin = c.req.header('origin');
    if (origin) {
      c.header('Access-Control-Allow-Origin', origin);
      // A 429 or 503's Retry-After is what the script's backoff honours; hidden without this.
      c.header('Access-Control-Expose-Headers', 'Retry-After');
    }
    // The answer differs by origin: caches must keep one per origin.
    c.header('Vary', 'Origin', { append: true });
    await next();
  };
}
