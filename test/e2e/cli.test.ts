import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, newId, postBatch, testApp, testConfig } from '../support/ingest.js';
import { createScorer } from '../../ingest/src/scoring/engine.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMMANDS = ['serve', 'migrate', 'keys', 'rescore', 'export', 'erase', 'check-config'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs node (a .ts file through tsx) from the repository root and collects its output; never throws on exit codes. */
function run(file: string, args: string[], env: Record<string, string | undefined>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(file.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(file ? [file] : []), ...args], { cwd: ROOT, env: { ...env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Output lines without the blank ones. */
const lines = (text: string) => text.split('\n').filter((l) => l.trim());

describe('leadbeam CLI', () => {
  let dir: string;
  let env: Record<string, string | undefined>;
  let configPath: string;
  const cli = (...args: string[]) => run('ingest/src/cli/leadbeam.ts', args, env);
  const cliOn = (url: string, ...args: string[]) => run('ingest/src/cli/leadbeam.ts', args, { ...env, DATABASE_URL: url });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leadbeam-cli-'));
    configPath = join(dir, 'leadbeam.json');
    // The sites the test app scores with, so the CLI rescores with the same rules.
    await writeFile(configPath, JSON.stringify(testConfig));
    // The server's environment, with a key given (no key file made) and nothing from the caller's.
    const { DATABASE_URL: _db, LEADBEAM_CONFIG: _config, LEADBEAM_SECRET_KEY: _key, ...rest } = process.env;
    env = { ...rest, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_DATA_DIR: dir, LEADBEAM_CONFIG: configPath, DATABASE_URL: `sqlite:${join(dir, 'unused.db')}` };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help lists every command, and each command has its own --help', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const name of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    const each = await Promise.all(COMMANDS.map((name) => cli(name, '--help')));
    each.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: leadbeam ${COMMANDS[i]}`);
    });
    expect((await cli('keys', 'create', '--help')).stdout).toContain('--scopes <scopes>');
  });

  it('check-config shows each site with its rule version and rule count', async () => {
    const fromEnv = await cli('check-config');
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain(`${configPath}: valid, 3 sites`);
    const scored = testConfig.sites.find((site) => site.key === 'scored')!.scoring;
    const { engagement, fit } = { engagement: scored.engagement.length, fit: scored.fit.length };
    expect(fromEnv.stdout).toContain(`  scored: rules ${createScorer(scored).version}, ${engagement + fit} rules (${engagement} engagement, ${fit} fit)\n`);
    const demo = await cli('check-config', '--config', 'ingest/config/demo.json');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^ {2}demo: rules r-\w+, \d+ rules/m);
  });

  it('check-config fails with exit 1 and one line per problem, without a stack trace', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ sites: [{ key: 'has space' }, { key: 'x', scoring: { engagement: [{ id: 'r', points: 'many' }] } }] }));
    const invalid = await cli('check-config', '--config', bad);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    const [first, ...problems] = lines(invalid.stderr);
    expect(first).toBe(`leadbeam check-config: config ${bad} is invalid:`);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const p of problems) expect(p).toMatch(/^ {2}- sites\.\d/);
    expect(problems.some((p) => p.startsWith('  - sites.0.key:'))).toBe(true);
    expect(invalid.stderr).not.toMatch(/^\s+at /m);

    await writeFile(bad, '{ not json');
    const notJson = await cli('check-config', '--config', bad);
    expect(notJson.code).toBe(1);
    expect(lines(notJson.stderr)).toEqual([expect.stringMatching(/^leadbeam check-config: config .*bad\.json: not valid JSON/)]);
    const missing = await cli('check-config', '--config', join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toEqual([expect.stringContaining('cannot read the file (ENOENT)')]);
  });

  it('migrate applies every migration to a new SQLite file, then says it is up to date', async () => {
    const url = `sqlite:${join(dir, `migrate-${newId()}.db`)}`;
    const first = await cliOn(url, 'migrate');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 001_events_and_visitors$/m);
    expect(lines(first.stdout).at(-1)).toMatch(/up to date \(\d+ applied\)$/);
    const again = await cliOn(url, 'migrate');
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toEqual([expect.stringMatching(/: up to date$/)]);
  });

  it('errors are one line with exit 1', async () => {
    const bad = await cliOn('mysql://localhost/leads', 'migrate');
    expect(bad.code).toBe(1);
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/^leadbeam migrate: DATABASE_URL: "mysql:" is neither/)]);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(1);
    expect(lines(unknown.stderr)).toEqual([expect.stringContaining("unknown command 'frobnicate'")]);
  });

  it('keys create prints the key once; list shows it without the key; revoke revokes it', async () => {
    const url = `sqlite:${join(dir, `keys-${newId()}.db`)}`;
    const created = await cliOn(url, 'keys', 'create', '--name', 'crm sync', '--scopes', 'read,write');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk_[\w-]{40,}$/);
    const listed = JSON.parse((await cliOn(url, 'keys', 'list', '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ name: 'crm sync', scopes: ['read', 'write'], revokedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await cliOn(url, 'keys', 'revoke', listed[0].id)).code).toBe(0);
    expect(JSON.parse((await cliOn(url, 'keys', 'list', '--json')).stdout)[0].revokedAt).not.toBeNull();
    const refused = await cliOn(url, 'keys', 'create', '--name', 'x', '--scopes', 'read,root');
    expect(refused.code).toBe(1);
    expect(lines(refused.stderr)).toEqual([expect.stringMatching(/^leadbeam keys create: --scopes/)]);
  });

  describe('on a lead posted through the app', () => {
    let t: TestDatabase;
    let leadId: string;
    let visitorId: string;

    beforeAll(async () => {
      t = await createTestDatabase('sqlite');
      const app = testApp(t.db);
      visitorId = 'v_' + newId();
      const email = `cli-${newId()}@fernhill.example`;
      const ts = Date.now() - 60_000;
      const res = await postBatch(app, {
        site: 'scored',
        events: [
          makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts, path: '/pricing', url: `${DEMO_ORIGIN}/pricing` }),
          makeEvent({ visitorId, sessionId: `s-${visitorId}`, ts: ts + 1000, type: 'form', name: 'demo-request', traits: { email, jobTitle: 'CFO' }, url: `${DEMO_ORIGIN}/demo` }),
        ],
      });
      expect(res.status).toBeLessThan(300);
      const lead = await t.db.selectFrom('leads').select('id').where('email', '=', email).executeTakeFirst();
      if (!lead) throw new Error('the form event made no lead');
      leadId = lead.id;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('rescore prints a progress line on stderr and the report on stdout', async () => {
      const res = await cliOn(t.url, 'rescore');
      expect(res.code).toBe(0);
      expect(lines(res.stderr)).toEqual([expect.stringMatching(/^rescoring: 1 leads, 2 events$/)]);
      expect(res.stdout).toMatch(/^rescored 1 leads \(2 events\)/m);
      expect(res.stdout).toMatch(/^rule versions: .*scored=r-\w+/m);
      const one = await cliOn(t.url, 'rescore', '--lead', leadId);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/^rescored 1 leads/m);
    });

    it('export writes the lead as JSON to stdout or a file, with progress on stderr', async () => {
      const res = await cliOn(t.url, 'export', leadId);
      expect(res.code).toBe(0);
      const data = JSON.parse(res.stdout);
      expect(data.leads.map((l: { id: string }) => l.id)).toEqual([leadId]);
      expect(data.events).toHaveLength(2);
      expect(res.stderr).toContain(`exported ${leadId}: 1 leads, 1 browsers, 2 events`);
      const out = join(dir, 'export.json');
      const toFile = await cliOn(t.url, 'export', leadId, '--out', out);
      expect(toFile.code).toBe(0);
      expect(toFile.stdout).toBe('');
      expect(JSON.parse(await readFile(out, 'utf8')).leads[0].id).toBe(leadId);
      const none = await cliOn(t.url, 'export', 'ld_nope');
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('leadbeam export: no lead ld_nope');
    });

    it('erase without --yes says what it would erase and erases nothing; with --yes it erases, audited as cli', async () => {
      const refused = await cliOn(t.url, 'erase', leadId);
      expect(refused.code).toBe(1);
      expect(lines(refused.stderr)).toEqual([expect.stringMatching(/^leadbeam erase: would erase from .*: 1 leads, 1 browsers, 2 events, 0 webhook deliveries of .*--yes/)]);
      expect(await t.db.selectFrom('leads').select('id').where('id', '=', leadId).execute()).toHaveLength(1);
      expect(await t.db.selectFrom('events').select('id').where('visitor_id', '=', visitorId).execute()).toHaveLength(2);

      const erased = await cliOn(t.url, 'erase', leadId, '--yes');
      expect(erased.code).toBe(0);
      expect(erased.stdout).toMatch(new RegExp(`^erased ${leadId} from .*: 1 leads, 1 browsers, 2 events, 0 webhook deliveries$`, 'm'));
      expect(await t.db.selectFrom('leads').select('id').where('id', '=', leadId).execute()).toEqual([]);
      expect(await t.db.selectFrom('events').select('id').where('visitor_id', '=', visitorId).execute()).toEqual([]);
      const audit = await t.db.selectFrom('audit_log').select(['actor', 'action']).where('subject', '=', leadId).execute();
      expect(audit).toEqual([{ actor: 'cli', action: 'lead.erased' }]);
    });
  });

  it('compiles with tsconfig.build.json and the compiled CLI runs from dist', async () => {
    // Inside dist/ (git-ignored) so the compiled code finds node_modules and the package root as
    // the real build does. Emit only: type errors are npm run typecheck's job, and a full check
    // would double this test's time.
    const outDir = join('dist', `.cli-test-${randomBytes(4).toString('hex')}`);
    try {
      const tsc = await run(join(ROOT, 'node_modules/typescript/bin/tsc'), ['-p', 'tsconfig.build.json', '--noCheck', '--outDir', outDir], env);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
      const entry = join(outDir, 'ingest/src/cli/leadbeam.js');
      expect(existsSync(join(ROOT, entry))).toBe(true);
      expect(existsSync(join(ROOT, outDir, 'ingest/src/privacy/privacy.test.js'))).toBe(false);
      const { LEADBEAM_CONFIG: _config, ...withoutConfig } = env;
      const checked = await run(entry, ['check-config'], withoutConfig);
      expect(checked.stderr).toBe('');
      expect(checked.code).toBe(0);
      // The demo config is found from dist/… as from ingest/src/….
      expect(checked.stdout).toContain(`${join(ROOT, 'ingest/config/demo.json')}: valid`);
      // And the built script, which the server serves at /sdk.js.
      const sdkRoute = pathToFileURL(join(ROOT, outDir, 'ingest/src/sdk-assets/sdkAssetsRoute.js')).href;
      const sdkDir = await run('', ['--input-type=module', '-e', `console.log((await import(${JSON.stringify(sdkRoute)})).DEFAULT_SDK_DIR)`], env);
      expect(sdkDir.stdout.trim()).toBe(join(ROOT, 'sdk/dist/'));
    } finally {
      await rm(join(ROOT, outDir), { recursive: true, force: true });
      // dist/ itself only when this test made it (a real build's is left alone).
      await rmdir(join(ROOT, 'dist')).catch(() => {});
    }
  });
});
