import { randomBytes } from 'node:crypto';

export interface Settings {
  port: number;
  databaseUrl: string;
  configPath?: string;
  secretKey: string;
  /** True when the key was made up for this run (development only). */
  secretKeyIsDevelopment: boolean;
}

/** The key used outside production when none is set; printed at start so it can be copied. */
export const DEVELOPMENT_SECRET_KEY = 'sk_dev_leadbeam_local_only';

/**
 * Reads the ingest's settings from the environment and refuses unsafe ones.
 *
 * @example
 * const settings = readSettings(process.env);
 */
export function readSettings(env: Record<string, string | undefined>): Settings {
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: "${env.PORT}" is not a port number`);
  let secretKey = env.LEADBEAM_SECRET_KEY?.trim() ?? '';
  const production = env.NODE_ENV === 'production';
  if (!secretKey && production) {
    throw new Error(`LEADBEAM_SECRET_KEY is required when NODE_ENV=production (for example: ${randomBytes(24).toString('base64url')})`);
  }
  if (secretKey && secretKey.length < 16) throw new Error('LEADBEAM_SECRET_KEY: use at least 16 characters');
  const secretKeyIsDevelopment = !secretKey;
  if (!secretKey) secretKey = DEVELOPMENT_SECRET_KEY;
  return {
    port,
    databaseUrl: env.DATABASE_URL?.trim() || 'sqlite:./data/leadbeam.db',
    configPath: env.LEADBEAM_CONFIG?.trim() || undefined,
    secretKey,
    secretKeyIsDevelopment,
  };
}
