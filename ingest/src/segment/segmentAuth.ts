import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import type { Database, KeyScope } from '../db/schema.js';
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
 * The start every secret key leadbeam makes has (named keys, `keys/keyStore.ts`, and the key
 * file's bootstrap key, `auth/keyFile.ts`: `sk_` and 32 random bytes).
 */
const SECRET_KEY_PREFIX = 'sk_';

/**
 * Makes the check of a Segment call's credentials, in the ways Segment's libraries send them:
 * `Authorization: Basic` with the site key as the username and an empty password, `writeKey`
 * in the body, or `Authorization: Bearer` with the bootstrap key or a named key holding the
 * `write` scope (`admin` holds it too). An unknown key: 401; a key without the scope: 403.
 *
 * Keys are checked under `keyGuesses`, the app's one count of wrong keys per client address,
 * shared with `requireKey` and the dashboard's sign-in form. A wrong bearer key counts. A write
 * key (the Basic username or `writeKey`) is only ever looked up among the site keys, which are
 * public, never taken as a secret key: a right secret key sent that way gets the same 401 as a
 * wrong one. A wrong write key counts only when it starts as the secret keys leadbeam makes do
 * (`sk_`), right secret key or not, so the count tells nothing either: whoever sends such keys
 * there is guessing or has its API key in the wrong place. Any other wrong write key (a
 * sender's typo or stale site key) counts nothing, so a misconfigured sender on an address it
 * shares with others (Segment's or RudderStack's cloud) locks none of them out. Once the address
 * has sent too many wrong keys, every secret key and wrong write key it presents is refused
 * unchecked with 429 and `Retry-After` until its window passes (Segment's libraries retry such
 * a batch later rather than drop it); a right site key is public and still taken, so a guesser
 * on a shared address cannot stop the site-key senders there. A call with no key at all (or an empty write
 * key), a right key, and a key lacking the `write` scope (403) count nothing.
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

  const siteOf = async (c: Context, writeKey: string): Promise<SegmentSender> => {
    // An empty write key is no key presented (as no Authorization at all): not a guess.
    if (!writeKey) throw unauthorized('authorization: the write key is empty; send the site key as the HTTP Basic username (empty password) or as "writeKey" in the body');
    // A site key is public: taking it during a lockout tells a guesser nothing, and keeps the
    // real senders on an address a guesser shares with them (Segment's cloud) working.
    const site = sites.get(writeKey);
    if (site) return { kind: 'site', site };
    const check = await keyGuesses.check(c, () => undefined, { countWrong: writeKey.startsWith(SECRET_KEY_PREFIX) });
    if (check.refused) throw tooManyKeyGuesses(keyGuesses, check);
    throw unauthorized('authorization: the write key is not a site key of this ingest');
  };
  /** The holder of a secret key: the bootstrap key (every scope) or an unrevoked named key. */
  const secretHolder = async (presented: string) =>
    // Digests compared in constant time, whatever the key's length.
    timingSafeEqual(digest(presented), bootstrap) ? { id: 'bootstrap', name: 'bootstrap', scopes: ['admin'] as KeyScope[] } : await keys.find(presented);

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
      const check = await keyGuesses.check(c, () => secretHolder(presented));
      if (check.refused) throw tooManyKeyGuesses(keyGuesses, check);
      const holder = check.found;
      if (!holder) throw unauthorized('authorization: the key is not valid (unknown or revoked)');
      if (!holder.scopes.includes('write') && !holder.scopes.includes('admin')) {
        throw new ApiError(403, 'forbidden', `authorization: key "${holder.name}" lacks the "write" scope that sending events needs`, { field: 'authorization' });
      }
      return { kind: 'secret', name: holder.name, id: holder.id };
    }
    const writeKey = (body as { writeKey?: unknown } | null)?.writeKey;
    if (typeof writeKey === 'string') return siteOf(c, writeKey);
    throw unauthorized('authorization: send the site key as the write key (HTTP Basic username, empty password, or "writeKey" in the body)');
  };
}
