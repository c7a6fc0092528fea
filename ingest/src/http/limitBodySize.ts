import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a request body over `maxBytes` by calling `tooLarge` (which throws the route's error).
 * A declared Content-Length is enough to decide, and leaves the body to be read straight from
 * the socket: hono's `bodyLimit` touches `c.req.raw.body`, which makes @hono/node-server build a
 * web Request and stream for every request (measured on the beacon route: most of a request's
 * cost). Chunked bodies, whose length nobody declared, go through `bodyLimit`, which counts.
 * Pair it with `closeUnreadBodies`, so that the unread rest of a refused body never stays on a
 * keep-alive socket.
 *
 * @example
 * app.post('/sign-in', limitBodySize(16 * 1024, () => { throw new ApiError(413, 'payload_too_large', 'body: too large') }), handler);
 */
export function limitBodySize(maxBytes: number, tooLarge: () => never): MiddlewareHandler {
  const limitChunked = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding')) return limitChunked(c, next);
    return Number(length) > maxBytes ? tooLarge() : next();
  };
}
