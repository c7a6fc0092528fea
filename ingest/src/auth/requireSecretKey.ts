import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../http/apiError.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
/** A 401 that tells the client which scheme to use. */
const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, { field: 'authorization', headers: { 'WWW-Authenticate': 'Bearer' } });

/**
 * Lets a request through only with `Authorization: Bearer <secret key>`. The public site
 * key only writes events; everything that reads or changes leads goes through here.
 *
 * @example
 * app.use('/v1/visitors/*', requireSecretKey(process.env.LEADBEAM_SECRET_KEY!));
 */
export function requireSecretKey(secretKey: string) {
  const expected = digest(secretKey);
  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw unauthorized('authorization: send "Authorization: Bearer <secret key>"');
    }
    // Compare digests so the comparison takes the same time whatever the key's length.
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw unauthorized('authorization: the secret key is not valid');
    }
    await next();
  });
}
