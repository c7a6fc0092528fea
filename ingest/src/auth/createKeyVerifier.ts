import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, KeyScope } from '../db/schema.js';
import { createKeyStore } from '../keys/keyStore.js';

/** Who a key belongs to: the bootstrap key holds every scope. */
export interface KeyHolder {
  /** The named key's id, or `bootstrap`: what revoking a key looks for. */
  keyId: string;
  /** `bootstrap` for the environment's (or key file's) key, else the named key's name. */
  name: string;
  scopes: KeyScope[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Makes `verifyKey(presented)`: the holder of a secret key (the bootstrap key or an unrevoked
 * named key), or `undefined`. One place decides what a key may do, for the API's bearer keys
 * and the dashboard's sign-in alike.
 *
 * @example
 * const verifyKey = createKeyVerifier({ db, secretKey });
 * (await verifyKey(presented))?.scopes // ['read']
 */
export function createKeyVerifier({ db, secretKey, now }: { db: Kysely<Database>; secretKey: string; now?: () => number }) {
  const bootstrap = digest(secretKey);
  const keys = createKeyStore({ db, now });
  return async (presented: string): Promise<KeyHolder | undefined> => {
    // Compare digests so the comparison takes the same time whatever the key's length.
    if (timingSafeEqual(digest(presented), bootstrap)) return { keyId: 'bootstrap', name: 'bootstrap', scopes: ['read', 'write', 'admin'] };
    const named = await keys.find(presented);
    return named && { keyId: named.id, name: named.name, scopes: named.scopes };
  };
}

/** Whether a holder may do what a scope allows (`admin` allows everything). */
export const holds = (holder: KeyHolder, scope: KeyScope) => holder.scopes.includes(scope) || holder.scopes.includes('admin');
