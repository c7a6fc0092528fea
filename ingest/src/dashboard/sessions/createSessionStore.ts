import { createHash, randomBytes, scryptSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { KeyHolder } from '../../auth/createKeyVerifier.js';
import type { Database } from '../../db/schema.js';
import { fromJson, toJson } from '../../db/json.js';

/** A signed-in marketer: who, with which scopes, and the token their forms must carry. */
export interface DashboardSession extends KeyHolder {
  csrf: string;
  expiresAt: number;
}

/** A working day and then some: a lost laptop's session ends by itself. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const bootstrapKeyIds = new Map<string, string>();
/**
 * A session opened with the bootstrap key stores which key that was, never the key: once
 * LEADBEAM_SECRET_KEY changes (a leaked key replaced), those sessions end with it. The mark is
 * scrypt's (worked out once a process), so a database dump does not let anyone test guesses of an
 * operator-chosen key at SHA-256's speed.
 */
function bootstrapKeyId(secretKey: string): string {
  let id = bootstrapKeyIds.get(secretKey);
  if (!id) bootstrapKeyIds.set(secretKey, (id = `bootstrap:${scryptSync(secretKey, 'leadbeam dashboard sessions', 12).toString('hex')}`));
  return id;
}

/**
 * Dashboard sessions in the database, so every ingest process behind a load balancer knows
 * them. The cookie's token is random and only its hash is stored.
 *
 * @example
 * const sessions = createSessionStore({ db, secretKey });
 * const { token } = await sessions.start({ keyId: 'bootstrap', name: 'bootstrap', scopes: ['admin'] });
 * (await sessions.find(token))?.name // 'bootstrap'
 */
export function createSessionStore({ db, secretKey, now = Date.now }: { db: Kysely<Database>; secretKey: string; now?: () => number }) {
  const bootstrap = bootstrapKeyId(secretKey);
  return {
    async start(holder: KeyHolder): Promise<{ token: string; session: DashboardSession }> {
      const token = randomBytes(32).toString('base64url');
      const at = now();
      const session = { ...holder, csrf: randomBytes(24).toString('base64url'), expiresAt: at + SESSION_TTL_MS };
      // Expired sessions go when someone signs in: no job needed, and the table stays small.
      await db.deleteFrom('app_sessions').where('expires_at', '<=', at).execute();
      await db
        .insertInto('app_sessions')
        .values({ token_hash: hashOf(token), key_id: holder.keyId === 'bootstrap' ? bootstrap : holder.keyId, holder: holder.name, scopes: toJson(holder.scopes), csrf: session.csrf, created_at: at, expires_at: session.expiresAt })
        .execute();
      return { token, session };
    },
    async find(token: string): Promise<DashboardSession | undefined> {
      const row = await db.selectFrom('app_sessions').selectAll().where('token_hash', '=', hashOf(token)).executeTakeFirst();
      if (!row || Number(row.expires_at) <= now()) return undefined;
      if (row.key_id.startsWith('bootstrap')) {
        // Opened with another bootstrap key than today's (or before sessions said which): ended.
        if (row.key_id !== bootstrap) return undefined;
      } else {
        // A revoked (or deleted) key closes every session opened with it, at the next page.
        const key = await db.selectFrom('api_keys').select('revoked_at').where('id', '=', row.key_id).executeTakeFirst();
        if (!key || key.revoked_at !== null) return undefined;
      }
      return { keyId: row.key_id === bootstrap ? 'bootstrap' : row.key_id, name: row.holder, scopes: fromJson(row.scopes), csrf: row.csrf, expiresAt: Number(row.expires_at) };
    },
    async end(token: string): Promise<void> {
      await db.deleteFrom('app_sessions').where('token_hash', '=', hashOf(token)).execute();
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
