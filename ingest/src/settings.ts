import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { loadOrCreateKeyFile } from './auth/keyFile.js';
import { sqlitePathOf } from './db/openDatabase.js';
import { LOG_LEVELS } from './ops/logger.js';

/** Where the admin (bootstrap) key came from. Never the key itself: this is printed. */
export type SecretKeySource = { from: 'environment' } | { from: 'file'; path: string; created: boolean };

export interface Settings {
  port: number;
  /** `HOST`: the address to listen on (`127.0.0.1` behind a proxy on this machine); every interface when unset. */
  host?: string;
  databaseUrl: string;
  configPath?: string;
  /** The bootstrap admin key: `LEADBEAM_SECRET_KEY`, or the one kept in the data folder. */
  secretKey: string;
  secretKeySource: SecretKeySource;
  /** Where files other than the database live (the key file): absolute. */
  dataDir: string;
  /** `LEADBEAM_ALLOW_PRIVATE_WEBHOOKS=true`: webhooks may target loopback and private hosts (local development only). */
  allowPrivateWebhooks: boolean;
  /** `LEADBEAM_DEMO_DATA` (on unless `0`/`false`): `npm start` fills an empty database with the demo site's history. */
  demoData: boolean;
}

/**
 * Reads the ingest's settings from the environment and refuses unsafe ones. Without
 * `LEADBEAM_SECRET_KEY` the admin key is read from the data folder, made there on the first
 * start: there is no default key, whatever `NODE_ENV` says.
 *
 * @example
 * const settings = readSettings(process.env);
 */
export function readSettings(env: Record<string, string | undefined>): Settings {
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: "${env.PORT}" is not a port number`);
  const envKey = env.LEADBEAM_SECRET_KEY?.trim() ?? '';
  if (envKey && envKey.length < 16) throw new Error('LEADBEAM_SECRET_KEY: use at least 16 characters');
  const databaseUrl = env.DATABASE_URL?.trim() || 'sqlite:./data/leadbeam.db';
  // Checked before anything is written: a mistyped URL must not leave a key file behind.
  const sqlitePath = sqlitePathOf(databaseUrl);
  const dataDir = resolve(env.LEADBEAM_DATA_DIR?.trim() || (sqlitePath && sqlitePath !== ':memory:' ? dirname(sqlitePath) : './data'));
  // Off unless said exactly: a typo must not open the SSRF check.
  const allowPrivateWebhooks = readSwitch(env, 'LEADBEAM_ALLOW_PRIVATE_WEBHOOKS') ?? false;
  const demoData = readSwitch(env, 'LEADBEAM_DEMO_DATA') ?? true;
  const logLevel = env.LEADBEAM_LOG_LEVEL?.trim();
  if (logLevel && !(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`LEADBEAM_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const host = env.HOST?.trim() || undefined;
  if (host !== undefined && !isIP(host) && !/^[a-z0-9.-]+$/i.test(host)) throw new Error(`HOST: "${env.HOST}" is neither an IP address nor a host name`);
  const settings = { port, host, databaseUrl, configPath: env.LEADBEAM_CONFIG?.trim() || undefined, dataDir, allowPrivateWebhooks, demoData };
  if (envKey) return { ...settings, secretKey: envKey, secretKeySource: { from: 'environment' } };
  const file = loadOrCreateKeyFile(dataDir);
  return { ...settings, secretKey: file.key, secretKeySource: { from: 'file', path: file.path, created: file.created } };
}

/**
 * Says where the admin key comes from, for start lines and logs, never the key: of a key from
 * the environment at most its first five characters, enough to tell two apart, and only when
 * the key is long enough (a generated one) that they give nothing useful away.
 *
 * @example
 * describeSecretKey(settings) // 'LEADBEAM_SECRET_KEY (sk_ab…)' or 'kept in /srv/data/secret-key'
 */
export function describeSecretKey({ secretKey, secretKeySource }: Pick<Settings, 'secretKey' | 'secretKeySource'>): string {
  if (secretKeySource.from === 'environment') return secretKey.length >= 32 ? `LEADBEAM_SECRET_KEY (${secretKey.slice(0, 5)}…)` : 'LEADBEAM_SECRET_KEY';
  return `${secretKeySource.created ? 'made and kept' : 'kept'} in ${secretKeySource.path}`;
}

/**
 * An on/off setting, the same way for every switch: `true`/`1` or `false`/`0` (any case), or
 * unset (empty). Anything else refuses to start, so a typo never turns a switch on or off.
 *
 * @example
 * readSwitch({ LEADBEAM_DEMO_DATA: '0' }, 'LEADBEAM_DEMO_DATA') // false
 */
export function readSwitch(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase() ?? '';
  if (value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`${name}: "${env[name]!.trim()}" is neither true nor false (1 or 0)`);
}

/**
 * The start line's warning for a setting that weakens a safeguard, or '' when none is on:
 * whoever reads the log should see that webhooks may reach private addresses.
 *
 * @example
 * describeUnsafeSettings({ allowPrivateWebhooks: true }) // ', webhooks may target private and loopback addresses (LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: for development only)'
 */
export function describeUnsafeSettings({ allowPrivateWebhooks }: Pick<Settings, 'allowPrivateWebhooks'>): string {
  return allowPrivateWebhooks ? ', webhooks may target private and loopback addresses (LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: for development only)' : '';
}
