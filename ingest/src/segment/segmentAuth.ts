import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { LeadbeamConfig, SiteConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
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
 * @example
 * const authenticate = createSegmentAuth({ db, config, secretKey });
 * const sender = await authenticate(c, body); // { kind: 'site', site } or { kind: 'secret', name }
 */
export function createSegmentAuth({ db, config, secretKey, now }: { db: Kysely<Database>; config: LeadbeamConfig; secretKey: string; now?: () => number }) {
  const sites = new Map(config.sites.map((s) => [s.key, s]));
  const bootstrap = digest(secretKey);
  const keys = createKeyStore({ db, now });

  const siteOf = (writeKey: string): SegmentSender => {
    const site = sites.get(writeKey);
    if (!site) throw unauthorized('authorization: the write key is not a site key of this ingest');
    return { kind: 'site', site };
  };

  return async function authenticate(c: Context, body: unknown): Promise<SegmentSender> {
    const header = c.req.header('authorization') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      // The username is the write key; Segment's libraries send an empty password.
      return siteOf(decoded.split(':')[0] ?? '');
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) {
      const presented = bearer[1]!;
      // Digests compared in constant time, whatever the key's length.
      if (timingSafeEqual(digest(presented), bootstrap)) return { kind: 'secret', name: 'bootstrap', id: 'bootstrap' };
      const named = await keys.find(presented);
      if (!named) throw unauthorized('authorization: the key is not valid (unknown or revoked)');
      if (!named.scopes.includes('write') && !named.scopes.includes('admin')) {
        throw new ApiError(403, 'forbidden', `authorization: key "${named.name}" lacks the "write" scope that sending events needs`, { field: 'authorization' });
      }
      return { kind: 'secret', name: named.name, id: named.id };
    }
    const writeKey = (body as { writeKey?: unknown } | null)?.writeKey;
    if (typeof writeKey === 'string') return siteOf(writeKey);
    throw unauthorized('authorization: send the site key as the write key (HTTP Basic username, empty password, or "writeKey" in the body)');
  };
}
