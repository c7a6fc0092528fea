import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';

const digest = (s: string) => createHash('sha256').update(s).digest();

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
      return c.json({ error: 'authorization: send "Authorization: Bearer <secret key>"' }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    // Compare digests so the comparison takes the same time whatever the key's length.
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      return c.json({ error: 'authorization: the secret key is not valid' }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  });
}
