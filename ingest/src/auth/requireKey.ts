import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Kysely } from 'kysely';
import type { Database, KeyScope } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { createKeyVerifier, holds } from './createKeyVerifier.js';
import { createKeyGuessLimit, tooManyKeyGuesses, type KeyGuessLimit } from './keyGuesses.js';

/** A 401 that tells the client which scheme to use. */
const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, { field: 'authorization', headers: { 'WWW-Authenticate': 'Bearer' } });

/**
 * Makes `requireKey(scope)`: a middleware that lets a request through only with
 * `Authorization: Bearer <key>` where the key is the bootstrap key (`LEADBEAM_SECRET_KEY` or
 * the key file: every scope) or an unrevoked named key holding the scope (`admin` holds them
 * all). No key or an unknown one: 401; a key without the scope: 403 naming it. The scope may
 * depend on the request (`apiScope`). Site keys are not keys here: they only write events.
 * Wrong keys are counted per client address (`keyGuesses`): after too many, every key that
 * address presents gets 429 with `Retry-After`, unchecked, until its window passes.
 *
 * @example
 * const requireKey = createRequireKey({ db, secretKey, keyGuesses });
 * app.use('/v1/webhooks/*', requireKey('admin'));
 * app.use('/v1/leads/*', requireKey(apiScope));
 */
export function createRequireKey({
  db,
  secretKey,
  now,
  keyGuesses = createKeyGuessLimit(),
}: {
  db: Kysely<Database>;
  secretKey: string;
  now?: () => number;
  /** The count of wrong keys per client address, shared with the app's other key checks (`createApp` passes its one); one trusting a proxy on this host is made when not given. */
  keyGuesses?: KeyGuessLimit;
}) {
  const verifyKey = createKeyVerifier({ db, secretKey, now });
  return (scope: KeyScope | ((c: Context) => KeyScope)) =>
    createMiddleware(async (c, next) => {
      const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
      if (!match) throw unauthorized('authorization: send "Authorization: Bearer <secret key>"');
      // Not checked at all once the address has guessed too often: a right key would tell it so.
      const check = await keyGuesses.check(c, () => verifyKey(match[1]!));
      if (check.refused) throw tooManyKeyGuesses(keyGuesses, check);
      const holder = check.found;
      if (!holder) throw unauthorized('authorization: the key is not valid (unknown or revoked)');
      const needed = typeof scope === 'function' ? scope(c) : scope;
      if (!holds(holder, needed)) {
        throw new ApiError(403, 'forbidden', `authorization: key "${holder.name}" lacks the "${needed}" scope that ${c.req.method} ${c.req.path} needs`, { field: 'authorization' });
      }
      await next();
    });
}
