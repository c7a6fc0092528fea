import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/** A request carries a body when it says how long it is or that it is chunked. */
const hasBody = (headers: Headers) => headers.has('transfer-encoding') || Number(headers.get('content-length') ?? 0) > 0;

/**
 * Answers `Connection: close` when the request had a body the app did not read to the end,
 * e.g. a 413 from `bodyLimit` (which trusts Content-Length and never reads) or a 401 before
 * the route. Otherwise the rest of that body is still on the socket, and a keep-alive client
 * or proxy that reuses it sends its next request behind it, where it is lost.
 *
 * On @hono/node-server, `c.env.incoming` tells whether the whole message has arrived; the
 * `bodyUsed` of the original request tells whether anything read it (`bodyLimit` swaps
 * `c.req.raw` for a copy once it has read, so the original is kept from before `next()`).
 *
 * @example
 * const app = new Hono();
 * app.use('*', closeUnreadBodies());
 */
export function closeUnreadBodies(): MiddlewareHandler {
  return async function closeUnreadBodies(c, next) {
    const raw = c.req.raw;
    await next();
    if (!hasBody(raw.headers)) return;
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // Read but not to the end (a chunked body over the limit) counts as unread.
    const unread = !raw.bodyUsed || (incoming !== undefined && !incoming.complete);
    if (unread) c.header('Connection', 'close');
  };
}
