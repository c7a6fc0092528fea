import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createScorers } from '../../ingest/src/app.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../ingest/src/config/loadConfig.js';
import { openDatabase } from '../../ingest/src/db/openDatabase.js';
import { createTestDatabase } from '../support/databases.js';
import { describePostgres } from '../support/describePostgres.js';
import { BROWSER_UA, makeEvent, TEST_SECRET_KEY } from '../support/ingest.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set<ChildProcess>();

afterEach(() => {
  // A test that failed half-way must not leave its server running.
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

/** `npm run ingest` as a process manager runs it, on a free port; resolves with its port once it listens. */
async function startIngestProcess(databaseUrl: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
  // A signal's name when it died of one (a native crash), so a failure says which.
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ingest did not say where it listens within 30 s:\n${output}`)), 30_000);
    const check = () => {
      const found = /listening on http:\/\/localhost:(\d+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`the ingest exited with ${code} before listening:\n${output}`)));
  });
  return { child, port, exited, output: () => output };
}

/** Posts a batch over a keep-alive agent; resolves with the status, or `error` when the request was dropped. */
function postBatch(agent: Agent, port: number, events: ReturnType<typeof makeEvent>[]): Promise<number | 'error'> {
  const body = JSON.stringify({ site: 'demo', sentAt: Date.now(), events });
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/collect',
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(body), 'User-Agent': BROWSER_UA },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', () => resolve('error'));
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error('no answer')));
    req.on('error', () => resolve('error'));
    req.end(body);
  });
}

async function eventuallyTrue(check: () => boolean, timeoutMs = 10_000) {
  for (const deadline = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Posts a few batches, fires more and sends SIGTERM while they are in flight; then checks the
 * process exits 0 and every event of every batch answered 2xx is stored.
 */
async function stopsWithoutLosingAcknowledgedEvents(databaseUrl: string) {
  const ingest = await startIngestProcess(databaseUrl);
  expect(ingest.output()).not.toContain(TEST_SECRET_KEY);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const acknowledged: string[] = [];
  const post = async () => {
    const events = Array.from({ length: 5 }, () => makeEvent());
    const status = await postBatch(agent, ingest.port, events);
    if (typeof status === 'number' && status >= 200 && status < 300) acknowledged.push(...events.map((e) => e.id));
    return status;
  };
  try {
    for (let i = 0; i < 5; i++) expect(await post()).toBe(200);
    const inFlight = Array.from({ length: 40 }, post);
    await new Promise((r) => setTimeout(r, 5));
    ingest.child.kill('SIGTERM');
    // It stops accepting at once: a new connection is refused while those in flight finish.
    await eventuallyTrue(() => ingest.output().includes('SIGTERM'));
    expect(await postBatch(new Agent({ keepAlive: false }), ingest.port, [makeEvent()])).toBe('error');
    const statuses = await Promise.all(inFlight);
    // Each is committed (200), refused as the ingest shuts down (503), or never got through.
    for (const s of statuses) expect([200, 503, 'error']).toContain(s);
    const code = await Promise.race([ingest.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code, ingest.output()).toBe(0);
    // An operator's log says the stop ended cleanly, not only that it began.
    expect(ingest.output()).toContain('leadbeam ingest: stopped; everything acknowledged is stored');
  } finally {
    agent.destroy();
  }

  const { db } = openDatabase(databaseUrl);
  try {
    const stored = new Set<string>();
    for (let i = 0; i < acknowledged.length; i += 500) {
      const rows = await db.selectFrom('events').select('id').where('id', 'in', acknowledged.slice(i, i + 500)).execute();
      rows.forEach((r) => stored.add(r.id));
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(25);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  } finally {
    await db.destroy();
  }
}

describe('npm run ingest [sqlite]', () => {
  it('says where it listens, and on SIGTERM exits 0 with every acknowledged event stored', async () => {
    const path = join(tmpdir(), `lb_ingest_${randomBytes(6).toString('hex')}.db`);
    try {
      await stopsWithoutLosingAcknowledgedEvents(`sqlite:${path}`);
    } finally {
      await Promise.all(['', '-wal', '-shm'].map((s) => rm(path + s, { force: true })));
    }
  });

  it('prints one line and exits 1 when it cannot start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual(['leadbeam ingest could not start: PORT: "not-a-port" is not a port number']);
  });

  it('prints one line, not a stack trace, for a log level the logger does not know', async () => {
    expect(await refusal({ PORT: '0', LEADBEAM_LOG_LEVEL: 'verbose' })).toEqual({
      code: 1,
      lines: ['leadbeam ingest could not start: LEADBEAM_LOG_LEVEL: "verbose" is not one of fatal, error, warn, info, debug, trace, silent'],
    });
  });
});

/** Runs a script expected to refuse to start: its exit code (or a note that it kept running) and stderr. */
async function refusal(env: Record<string, string>, script = 'scripts/ingest.ts') {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, LEADBEAM_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await Promise.race([
    new Promise((resolve) => child.once('exit', resolve)),
    new Promise((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000)),
  ]);
  return { code, lines: stderr.trim().split('\n') };
}

/**
 * Resolves once the process has answered a request. The start line is printed just before the
 * signal handlers are set, in the same tick; a request answered proves that tick is over, so a
 * SIGTERM sent after it meets the handlers (one sent on seeing the line alone might not).
 */
const answered = async (port: number) => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

/** The rule version each site of the shipped config is scored with, as the banner should name it. */
const demoRuleVersions = () => [...createScorers(loadConfig(DEFAULT_CONFIG_PATH, { DEMO_PORT: '0' }))].map(([site, scorer]) => `${site} rules ${scorer.version}`);

describe('starting up', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lb_start_'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a DATABASE_URL that is neither SQLite nor PostgreSQL in one line, and creates nothing', async () => {
    const folder = mkdtempSync(join(dataDir, 'scheme_'));
    for (const url of ['mysql://x', 'redis://127.0.0.1:6379/0']) {
      const scheme = url.slice(0, url.indexOf(':') + 1);
      const { code, lines } = await refusal({ PORT: '0', DATABASE_URL: url, LEADBEAM_SECRET_KEY: '', LEADBEAM_DATA_DIR: folder });
      expect(code).toBe(1);
      expect(lines).toEqual([`leadbeam ingest could not start: DATABASE_URL: "${scheme}" is neither SQLite (sqlite:PATH, a file path, :memory:) nor PostgreSQL (postgres://…)`]);
      expect(existsSync(join(root, scheme))).toBe(false);
    }
    expect(readdirSync(folder)).toEqual([]);
  });

  it('says in one line that the port is in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const { code, lines } = await refusal({ PORT: String(port), DATABASE_URL: `sqlite:${join(dataDir, 'busy.db')}`, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY });
      expect(code).toBe(1);
      expect(lines).toEqual([`leadbeam ingest could not start: port ${port} is in use: set PORT to another`]);
    } finally {
      busy.close();
    }
  });

  it("npm start says in one line that the demo site's port is in use, and leaves no ingest running", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const demoPort = (busy.address() as { port: number }).port;
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const ingestPort = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    try {
      const { code, lines } = await refusal({ PORT: String(ingestPort), DEMO_PORT: String(demoPort), DATABASE_URL: `sqlite:${join(dataDir, 'demo-busy.db')}`, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_DEMO_DATA: '0' }, 'scripts/start.ts');
      expect(code).toBe(1);
      expect(lines).toEqual([`leadbeam could not start: port ${demoPort} is in use: set DEMO_PORT to another`]);
      // The ingest it had started is gone with it: its port is free again.
      const again = createServer();
      await new Promise<void>((resolve, reject) => again.once('error', reject).listen(ingestPort, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => again.close(() => resolve()));
    } finally {
      busy.close();
    }
  });

  it('names the config file, each rule version and where the key comes from, never the key', async () => {
    const key = 'sk_env_0123456789abcdefghijklmnopqrstuvwxyz';
    const ingest = await startIngestProcess(`sqlite:${join(dataDir, 'banner.db')}`, { LEADBEAM_SECRET_KEY: key, DEMO_PORT: '0' });
    await answered(ingest.port);
    ingest.child.kill('SIGTERM');
    expect(await ingest.exited, ingest.output()).toBe(0);
    const banner = ingest.output().split('\n')[0]!;
    expect(banner).toContain(`config ${DEFAULT_CONFIG_PATH}`);
    for (const version of demoRuleVersions()) expect(banner).toContain(version);
    expect(banner).toContain('secret key LEADBEAM_SECRET_KEY (sk_en…)');
    expect(ingest.output()).not.toContain(key.slice(0, 6));
  });

  it('without LEADBEAM_SECRET_KEY makes a key file on the first start, names its path, and reuses it', async () => {
    const folder = mkdtempSync(join(dataDir, 'made_'));
    const path = join(folder, 'secret-key');
    const first = await startIngestProcess(`sqlite:${join(folder, 'leadbeam.db')}`, { LEADBEAM_SECRET_KEY: '' });
    await answered(first.port);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain(`secret key made and kept in ${path}`);
    const key = readFileSync(path, 'utf8').trim();
    expect(first.output()).not.toContain(key.slice(0, 12));

    const second = await startIngestProcess(`sqlite:${join(folder, 'leadbeam.db')}`, { LEADBEAM_SECRET_KEY: '' });
    try {
      expect(second.output()).toContain(`secret key kept in ${path}`);
      expect(readFileSync(path, 'utf8').trim()).toBe(key);
      const res = await fetch(`http://127.0.0.1:${second.port}/v1/keys`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const old = await fetch(`http://127.0.0.1:${second.port}/v1/keys`, { headers: { Authorization: 'Bearer sk_dev_leadbeam_local_only' } });
      expect(old.status).toBe(401);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('npm run ingest stops when npm itself gets SIGTERM (as a service manager sends it), leaving no server behind', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    // Its own process group, so that whatever npm leaves behind can be cleaned up below.
    const npm = spawn('npm', ['run', 'ingest'], {
      cwd: root,
      detached: true,
      env: { ...process.env, PORT: String(port), DATABASE_URL: `sqlite:${join(dataDir, 'npm.db')}`, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_CONFIG: '' },
      stdio: 'ignore',
    });
    const health = () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 'closed');
    const until = async (wanted: number | string, timeoutMs: number) => {
      let seen: number | string = '';
      for (const deadline = Date.now() + timeoutMs; (seen = await health()) !== wanted; ) {
        if (Date.now() > deadline) return seen;
        await new Promise((r) => setTimeout(r, 100));
      }
      return seen;
    };
    try {
      expect(await until(200, 30_000)).toBe(200);
      npm.kill('SIGTERM');
      expect(await until('closed', 10_000)).toBe('closed');
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // Nothing left in the group: the expected case.
      }
    }
  });

  it('npm start names the config file, each rule version and the key source, never the key', async () => {
    const key = 'sk_env_0123456789abcdefghijklmnopqrstuvwxyz';
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', DEMO_PORT: '0', DATABASE_URL: `sqlite:${join(dataDir, 'start.db')}`, LEADBEAM_SECRET_KEY: key, LEADBEAM_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await Promise.race([eventuallyTrue(() => output.includes('visitorId()'), 30_000), exited.then(() => Promise.reject(new Error(output)))]);
    await answered(Number(/ingest +http:\/\/localhost:(\d+)/.exec(output)![1]));
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    // It stops as `npm run ingest` does (stopOnSignals: a second signal would exit at once).
    expect(output).toContain('leadbeam: SIGTERM, finishing requests in flight and committing queued events');
    expect(output).toContain('leadbeam: stopped; everything acknowledged is stored');
    expect(output).toContain(`config     ${DEFAULT_CONFIG_PATH}`);
    for (const version of demoRuleVersions()) expect(output.replace(/ +/g, ' ')).toContain(`site ${version}`);
    expect(output).toContain('secret key LEADBEAM_SECRET_KEY (sk_en…)');
    expect(output).not.toContain(key.slice(0, 6));
  });
});

describePostgres('npm run ingest', () => {
  it('on SIGTERM exits 0 with every acknowledged event stored', async () => {
    const test = await createTestDatabase('postgres');
    // The process migrates and writes on its own connections; the test's own are not needed.
    try {
      await stopsWithoutLosingAcknowledgedEvents(test.url);
    } finally {
      await test.close();
    }
  });
});
