import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
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
async function startIngestProcess(databaseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY, LEADBEAM_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
