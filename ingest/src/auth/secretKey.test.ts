import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { describeSecretKey, readSettings } from '../settings.js';
import { startIngest } from '../startIngest.js';

/** The key the README once printed for every server started without one. */
const WELL_KNOWN_KEY = 'sk_dev_leadbeam_local_only';

/** One request for every protected route family, as a client without the real key would try. */
const PROTECTED: [string, string, unknown?][] = [
  ['GET', '/v1/visitors/v_1'],
  ['GET', '/v1/visitors/v_1/events'],
  ['GET', '/v1/leads?email=ana@fernhill.example'],
  ['GET', '/v1/leads/ld_1'],
  ['GET', '/v1/leads/ld_1/score'],
  ['POST', '/v1/leads/ld_1/feedback', { type: 'accepted' }],
  ['POST', '/v1/leads/ld_1/merge', { leadId: 'ld_2' }],
  ['GET', '/v1/webhooks'],
  ['POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['lead.mql'] }],
  ['GET', '/v1/reports/speed-to-lead?site=demo'],
  ['POST', '/v1/admin/rescore'],
  ['GET', '/v1/keys'],
  ['POST', '/v1/keys', { name: 'x', scopes: ['admin'] }],
  ['GET', '/metrics'],
];

describeEachDialect('the secret key at start', (getDb) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lb_key_'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const call = (url: string, method: string, path: string, key: string, body?: unknown) =>
    fetch(`${url.replace('localhost', '127.0.0.1')}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  for (const NODE_ENV of [undefined, 'Production', 'prod']) {
    it(`accepts no well-known key on any route without LEADBEAM_SECRET_KEY (NODE_ENV=${NODE_ENV})`, async () => {
      const settings = readSettings({ PORT: '0', DATABASE_URL: getDb().url, LEADBEAM_DATA_DIR: dataDir, NODE_ENV });
      expect(settings.secretKey).not.toBe(WELL_KNOWN_KEY);
      const ingest = await startIngest(settings, {});
      try {
        for (const [method, path, body] of PROTECTED) {
          const res = await call(ingest.url, method, path, WELL_KNOWN_KEY, body);
          expect(res.status, `${method} ${path}`).toBe(401);
        }
        // The dashboard's sign-in form opens no session with it either; the real key does.
        const origin = ingest.url.replace('localhost', '127.0.0.1');
        const signIn = (key: string) =>
          fetch(`${origin}/app/sign-in`, { method: 'POST', body: new URLSearchParams({ key, next: '/app' }), headers: { Origin: origin }, redirect: 'manual' });
        const refused = await signIn(WELL_KNOWN_KEY);
        expect(refused.status, 'POST /app/sign-in').toBe(401);
        expect(refused.headers.get('set-cookie')).toBeNull();
        const signedIn = await signIn(settings.secretKey);
        expect(signedIn.status).toBe(303);
        expect(signedIn.headers.get('set-cookie')).toMatch(/HttpOnly/i);
        expect((await call(ingest.url, 'GET', '/v1/keys', settings.secretKey)).status).toBe(200);
        expect((await call(ingest.url, 'GET', '/metrics', settings.secretKey)).status).toBe(200);
      } finally {
        await ingest.close();
      }
    });
  }

  it('keeps the made key in a 0600 file in the data folder and uses the same one on the next start', async () => {
    const env = { PORT: '0', DATABASE_URL: getDb().url, LEADBEAM_DATA_DIR: mkdtempSync(join(dataDir, 'again_')) };
    const first = readSettings(env);
    expect(first.secretKeySource).toEqual({ from: 'file', path: join(env.LEADBEAM_DATA_DIR, 'secret-key'), created: true });
    expect(statSync(join(env.LEADBEAM_DATA_DIR, 'secret-key')).mode & 0o777).toBe(0o600);
    const second = readSettings(env);
    expect(second.secretKeySource).toMatchObject({ created: false });
    const ingest = await startIngest(second, {});
    try {
      expect((await call(ingest.url, 'GET', '/v1/keys', first.secretKey)).status).toBe(200);
    } finally {
      await ingest.close();
    }
  });

  it('never writes a key from the environment to the console, and says what runs', async () => {
    const key = 'sk_env_0123456789abcdefghijklmnopqrstuvwxyz';
    const output: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' '))),
    );
    try {
      const settings = readSettings({ PORT: '0', DATABASE_URL: getDb().url, LEADBEAM_DATA_DIR: dataDir, LEADBEAM_SECRET_KEY: key });
      const ingest = await startIngest(settings, {});
      output.push(describeSecretKey(settings), JSON.stringify({ ...ingest, close: undefined }));
      expect(ingest.configPath).toMatch(/ingest\/config\/demo\.json$/);
      expect(ingest.sites.map((s) => s.key)).toContain('demo');
      for (const site of ingest.sites) expect(site.ruleVersion).toMatch(/\S/);
      expect((await call(ingest.url, 'GET', '/v1/keys', key)).status).toBe(200);
      await ingest.close();
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(output.join('\n')).not.toContain(key);
    expect(output.join('\n')).not.toContain(key.slice(0, 6));
  });
});
