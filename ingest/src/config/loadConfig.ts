import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { configSchema, type LeadbeamConfig } from './schema.js';

/** The shipped demo configuration, used when `LEADBEAM_CONFIG` is unset. */
export const DEFAULT_CONFIG_PATH = join(packageRoot(), 'ingest/config/demo.json');

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed config, so one file
 * can follow the ports and hosts of the environment it runs in.
 *
 * @example
 * interpolateEnv('http://localhost:${DEMO_PORT:-3000}', {}) // 'http://localhost:3000'
 */
export function interpolateEnv<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') {
    return value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new Error(`environment variable ${name} is not set and has no default`);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolateEnv(v, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env)])) as T;
  }
  return value;
}

/**
 * Parses and validates a config object; errors name the file and the bad field.
 *
 * @example
 * parseConfig({ sites: [{ key: 'demo' }] }, 'inline')
 */
export function parseConfig(raw: unknown, source: string, env: Record<string, string | undefined> = process.env): LeadbeamConfig {
  let interpolated: unknown;
  try {
    interpolated = interpolateEnv(raw, env);
  } catch (err) {
    throw new Error(`config ${source}: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`config ${source} is invalid:\n${details}`);
  }
  return parsed.data;
}

/**
 * Reads the JSON config at `path` (default: the shipped demo config).
 *
 * @example
 * const config = loadConfig(process.env.LEADBEAM_CONFIG);
 */
export function loadConfig(path: string = DEFAULT_CONFIG_PATH, env: Record<string, string | undefined> = process.env): LeadbeamConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`config ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`config ${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(raw, path, env);
}
