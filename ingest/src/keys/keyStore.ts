import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/json.js';
import type { ApiKeysTable, Database, KeyScope } from '../db/schema.js';
import { newId } from '../ids.js';

/** A named key as listed: never the key, only its first characters. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: KeyScope[];
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** How long a key's last-used time may lag: at most one write a key a minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Characters of a key kept in clear to tell keys apart: `sk_` and five random ones. */
const PREFIX_LENGTH = 8;

// Keys are 256 random bits, so a plain SHA-256 is as strong as a slow hash would be and keeps
// the lookup an index probe.
const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const present = (row: Pick<ApiKeysTable, 'id' | 'name' | 'scopes' | 'prefix' | 'created_at'> & { last_used_at: number | null; revoked_at: number | null }): ApiKeyInfo => ({
  id: row.id,
  name: row.name,
  scopes: fromJson(row.scopes),
  prefix: row.prefix,
  createdAt: iso(row.created_at)!,
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
});

/**
 * Named API keys in the database: made at random and shown once, stored as a SHA-256,
 * revocable, with a last-used time. Every process reads the same table, so a revoked key is
 * refused everywhere at once.
 *
 * @example
 * const keys = createKeyStore({ db });
 * const { key } = await keys.create({ name: 'crm sync', scopes: ['read'] });
 * (await keys.find(key))?.scopes // ['read']
 */
export function createKeyStore({ db, now = Date.now }: { db: Kysely<Database>; now?: () => number }) {
  return {
    /** Makes a key; the result is the only place the key itself ever appears. */
    async create({ name, scopes }: { name: string; scopes: KeyScope[] }): Promise<ApiKeyInfo & { key: string }> {
      const key = `sk_${randomBytes(32).toString('base64url')}`;
      const row = { id: newId('key'), name, scopes: toJson([...new Set(scopes)]), prefix: key.slice(0, PREFIX_LENGTH), hash: hashOf(key), created_at: now() };
      await db.insertInto('api_keys').values(row).execute();
      return { ...present({ ...row, last_used_at: null, revoked_at: null }), key };
    },

    /** Every key, revoked ones included, oldest first. */
    async list(): Promise<ApiKeyInfo[]> {
      const rows = await db.selectFrom('api_keys').select(['id', 'name', 'scopes', 'prefix', 'created_at', 'last_used_at', 'revoked_at']).orderBy('created_at').orderBy('id').execute();
      return rows.map(present);
    },

    /** Revokes a key; false when there is no such unrevoked key. */
    async revoke(id: string): Promise<boolean> {
      const result = await db.updateTable('api_keys').set({ revoked_at: now() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /**
     * The unrevoked key a client presented, or undefined. Notes its use when the last note is
     * older than a minute, so a busy client costs one write a minute, not one a request.
     */
    async find(key: string): Promise<{ id: string; name: string; scopes: KeyScope[] } | undefined> {
      const hash = hashOf(key);
      const row = await db
        .selectFrom('api_keys')
        .select(['id', 'name', 'scopes', 'hash', 'last_used_at'])
        .where('hash', '=', hash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      // The index found it by hash already; comparing again in constant time costs nothing.
      if (!row || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
      const at = now();
      if (row.last_used_at === null || at - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
        // Conditional, so processes noting the same key at once write it once; a failed note
        // (a busy database) must not fail the request it describes.
        await db
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', row.id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', at - LAST_USED_RESOLUTION_MS)]))
          .execute()
          .catch(() => {});
      }
      return { id: row.id, name: row.name, scopes: fromJson(row.scopes) };
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
