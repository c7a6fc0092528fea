import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { createKeyGuessLimit, tooManyKeyGuesses, type KeyGuessLimit } from '../auth/keyGuesses.js';
import { ApiError } from '../http/apiError.js';
import { createKeyStore } from '../keys/keyStore.js';

/**
 * Who sent a Segment call: a site's public key (the write key), which names the site, or a
 * secret key with the `write` scope, which may write to any site (the message says which).
 */
export type SegmentSender = { kind: 'site'; site: SiteConfig } | { kind: 'secret'; name: string; /** The named key's id, or `bootstrap`. */ id: string };

const digest = (s: string) => createHash('sha256').update(s).digest();
const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, { field: 'authorization', headers: { 'WWW-Authenticate': 'Basic realm="leadbeam", charset="UTF-8"' } });

/**
 * Makes the check of a Segment call's credentials, in the ways Segment's libraries send them:
 * `Authorization: Basic` with the site key as the username and an empty password, `writeKey`
 * in the body, or `Authorization: Bearer` with the bootstrap key or a named key holding the
 * `write` scope (`admin` holds it too). An unknown key: 401; a key without the scope: 403.
 *
 * Wrong keys count against the client address in `keyGuesses`, the app's one count shared with
 * `requireKey` and the dashboard's sign-in form: a key presented in any of the three ways that
 * is neither a site key nor a valid secret key is a wrong key (the write key is not secret, but
 * a caller sending unknown ones is guessing, and a secret key sent there is one wrong key more,
 * not a way around the count). Once the address has sent too many, every key it presents, a
 * right site key or secret key too, is refused unchecked with 429 and `Retry-After` until its
 * window passes (Segment's libraries retry such a batch later rather than drop it). A call with
 * no key at all, a right key, and a key lacking the `write` scope (403) count nothing.
 *
 * @example
 * const authenticate = createSegmentAuth({ db, config, secretKey, keyGuesses });
 * const sender = await authenticate(c, body); // { kind: 'site', site } or { kind: 'secret', name }
 */
export function createSegmentAuth({
  db,
  config,
  secretKey,
  now,
  keyGuesses = createKeyGuessLimit(),
}: {
  db: Kysely<Database>;
  config: LeadbeamConfig;
  secretKey: string;
  now?: () => number;
  /** The count of wrong keys per client address, shared with the app's other key checks (`createApp` passes its one); one trusting a proxy on this host is made when not given. */
  keyGuesses?: KeyGuessLimit;
}) {
  const sites = new Map(config.sites.map((s) => [s.key, s]));
  const bootstrap = digest(secretKey);
  const keys = createKeyStore({ db, now });

  /** Refuses every key from an address that has guessed too often, before anything checks it. */
  const notBlocked = (c: Context) => {
    const wait = keyGuesses.blockedFor(c);
    if (wait) throw tooManyKeyGuesses(keyGuesses, wait);
  };
  const wrongKey = (c: Context, message: string) => {
    keyGuesses.failed(c);
    return unauthorized(message);
  };
  const siteOf = (c: Context, writeKey: string): SegmentSender => {
    // An empty write key is no key presented (as no Authorization at all): not a guess.
    if (!writeKey) throw unauthorized('authorization: the write key is empty; send the site key as the HTTP Basic username (empty password) or as "writeKey" in the body');
    notBlocked(c);
    const site = sites.get(writeKey);
    if (!site) throw wrongKey(c, 'authorization: the write key is not a site key of this ingest');
    return { kind: 'site', site };
  };

  return async function authenticate(c: Context, body: unknown): Promise<SegmentSender> {
    const header = c.req.header('authorization') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      // The username is the write key; Segment's libraries send an empty password.
      return siteOf(c, decoded.split(':')[0] ?? '');
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) {
      const presented = bearer[1]!;
      notBlocked(c);
      // Digests compared in constant time, whatever the key's length.
      if (timingSafeEqual(digest(presented), bootstrap)) return { kind: 'secret', name: 'bootstrap', id: 'bootstrap' };
      const named = await keys.find(presented);
      if (!named) throw wrongKey(c, 'authorization: the key is not valid (unknown or revoked)');
      if (!named.scopes.includes('write') && !named.scopes.includes('admin')) {
        throw new ApiError(403, 'forbidden', `authorization: key "${named.name}" lacks the "write" scope that sending events needs`, { field: 'authorization' });
      }
      return { kind: 'secret', name: named.name, id: named.id };
    }
    const writeKey = (body as { writeKey?: unknown } | null)?.writeKey;
    if (typeof writeKey === 'string') return siteOf(c, writeKey);
    throw unauthorized('authorization: send the site key as the write key (HTTP Basic username, empty password, or "writeKey" in the body)');
  };
}
