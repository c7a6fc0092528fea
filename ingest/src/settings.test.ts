import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeSecretKey, describeUnsafeSettings, readSettings } from './settings.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lb_settings_'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('settings', () => {
  it('defaults to port 8787 and SQLite in ./data', () => {
    const dir = tempDir();
    const settings = readSettings({ LEADBEAM_DATA_DIR: dir });
    expect(settings).toMatchObject({ port: 8787, databaseUrl: 'sqlite:./data/leadbeam.db', configPath: undefined, dataDir: dir });
  });

  it('reads every on/off switch the same way (true/1, false/0, any case) and refuses anything else, naming the setting', () => {
    const read = (env: Record<string, string>) => readSettings({ LEADBEAM_DATA_DIR: tempDir(), LEADBEAM_SECRET_KEY: 'sk_test_0123456789abcdef', ...env });
    expect(read({})).toMatchObject({ allowPrivateWebhooks: false, demoData: true });
    for (const on of ['true', '1', 'TRUE', ' 1 ']) expect(read({ LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: on, LEADBEAM_DEMO_DATA: on })).toMatchObject({ allowPrivateWebhooks: true, demoData: true });
    for (const off of ['false', '0', 'False']) expect(read({ LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: off, LEADBEAM_DEMO_DATA: off })).toMatchObject({ allowPrivateWebhooks: false, demoData: false });
    expect(() => read({ LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: 'yes please' })).toThrow('LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: "yes please" is neither true nor false (1 or 0)');
    expect(() => read({ LEADBEAM_DEMO_DATA: 'off' })).toThrow('LEADBEAM_DEMO_DATA: "off" is neither true nor false (1 or 0)');
    // The start lines say when a safeguard is off.
    expect(describeUnsafeSettings(read({ LEADBEAM_ALLOW_PRIVATE_WEBHOOKS: '1' }))).toContain('LEADBEAM_ALLOW_PRIVATE_WEBHOOKS');
    expect(describeUnsafeSettings(read({}))).toBe('');
  });

  it('has no well-known key: without LEADBEAM_SECRET_KEY it makes a random one, whatever NODE_ENV says', () => {
    const keys = ['', 'production', 'Production', 'prod', 'development'].map((NODE_ENV) => readSettings({ NODE_ENV, LEADBEAM_DATA_DIR: tempDir() }).secretKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key).toMatch(/^sk_[\w-]{43}$/);
      expect(key).not.toBe('sk_dev_leadbeam_local_only');
    }
    // An empty variable is no key either.
    expect(readSettings({ LEADBEAM_SECRET_KEY: '  ', LEADBEAM_DATA_DIR: tempDir() }).secretKeySource.from).toBe('file');
  });

  it('keeps the made key next to the SQLite file, mode 0600, and reuses it on the next start', () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db', 'leadbeam.db')}` };
    const first = readSettings(env);
    const path = join(dir, 'db', 'secret-key');
    expect(first.secretKeySource).toEqual({ from: 'file', path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = readSettings(env);
    expect(second.secretKey).toBe(first.secretKey);
    expect(second.secretKeySource).toEqual({ from: 'file', path, created: false });
  });

  it('keeps it in LEADBEAM_DATA_DIR for PostgreSQL, and tightens a key file others could read', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret-key'), 'sk_a_key_copied_from_a_backup\n');
    chmodSync(join(dir, 'secret-key'), 0o644);
    const settings = readSettings({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', LEADBEAM_DATA_DIR: dir });
    expect(settings.secretKey).toBe('sk_a_key_copied_from_a_backup');
    expect(statSync(join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
  });

  it('takes LEADBEAM_SECRET_KEY without writing a file, and never describes it by more than a prefix', () => {
    const dir = tempDir();
    const key = 'sk_from_the_environment_0123456789abcdef';
    const settings = readSettings({ LEADBEAM_SECRET_KEY: key, LEADBEAM_DATA_DIR: dir });
    expect(settings.secretKey).toBe(key);
    expect(existsSync(join(dir, 'secret-key'))).toBe(false);
    expect(describeSecretKey(settings)).toBe('LEADBEAM_SECRET_KEY (sk_fr…)');
    expect(describeSecretKey(readSettings({ LEADBEAM_SECRET_KEY: 'sixteen-chars-ok', LEADBEAM_DATA_DIR: dir }))).toBe('LEADBEAM_SECRET_KEY');
  });

  it('refuses a short key, a bad port and a database it cannot open, before writing anything', () => {
    expect(() => readSettings({ LEADBEAM_SECRET_KEY: 'short' })).toThrow(/at least 16/);
    expect(() => readSettings({ PORT: 'eighty' })).toThrow(/PORT/);
    const dir = tempDir();
    for (const url of ['mysql://x', 'redis://localhost:6379', 'mysql:x']) {
      expect(() => readSettings({ DATABASE_URL: url, LEADBEAM_DATA_DIR: dir })).toThrow(/DATABASE_URL: ".+:" is neither SQLite .* nor PostgreSQL/);
    }
    expect(existsSync(join(dir, 'secret-key'))).toBe(false);
  });
});
