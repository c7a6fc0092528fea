/**
 * Dashboard pages with 100,000 leads and 1,000,000 events (issue #12: every page under 300 ms),
 * on SQLite and PostgreSQL. Fills a fresh database in bulk (`support/bulkDashboardData.ts`),
 * starts the ingest as `npm run ingest` does (a child process, so the timing client does not
 * share its event loop), signs in at `/app/sign-in` as a marketer does, then loads every page a
 * few times to warm up and 20 times timed, the lead page on a different lead each time. Prints
 * median and p95 per page; a page over 300 ms at p95, or answering other than 200, fails.
 * It also sends beacons while the overview computes a new period: on SQLite the slowest over
 * 500 ms fails (a report must never stop the server storing events); on PostgreSQL, whose
 * queries share this machine's two cores with the ingest, the figure is shown.
 * `npx tsx bench/dashboard.ts` runs it alone; BENCH_SCALE=0.1 runs a tenth of the data set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../ingest/src/config/loadConfig.js';
import { createScorer } from '../ingest/src/scoring/engine.js';
import { createTestDatabase, pgProblem, TEST_POSTGRES_URL } from '../test/support/databases.js';
import { fillDashboardData } from './support/bulkDashboardData.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const GOAL_MS = 300;
const WARM_UP = 3;
const LOADS = 20;
const KEY = 'sk_bench_dashboard_0123456789abcdef';
const root = fileURLToPath(new URL('..', import.meta.url));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)]!;

/** The ingest as `npm run ingest` starts it, on a free port; resolves once it listens. */
async function startIngest(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, LEADBEAM_SECRET_KEY: KEY, LEADBEAM_CONFIG: '', LEADBEAM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      output += s;
      const found = /listening on http:\/\/localhost:(\d+)/.exec(output);
      if (found) resolve(Number(found[1]));
    });
    child.once('exit', (code) => reject(new Error(`the ingest exited with ${code} before listening:\n${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const stop = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))));

/** Signs in with the key as the sign-in form posts it; returns the session cookie. */
async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/app/sign-in`, {
    method: 'POST',
    body: new URLSearchParams({ key: KEY, next: '/app' }),
    headers: { Origin: url },
    redirect: 'manual',
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (res.status !== 303 || !cookie) throw new Error(`sign-in answered ${res.status} without a session cookie: ${(await res.text()).slice(0, 300)}`);
  return cookie;
}

interface PageTiming {
  page: string;
  median: number;
  p95: number;
  /** Statuses other than 200, with how often. */
  errors: string[];
}

/** Loads `paths(i)` WARM_UP + LOADS times in sequence; times the last LOADS, body read to the end. */
async function timePage(url: string, cookie: string, page: string, paths: (i: number) => string, { warmUp = WARM_UP, loads = LOADS } = {}): Promise<PageTiming> {
  const times: number[] = [];
  const errors = new Map<string, number>();
  for (let i = 0; i < warmUp + loads; i++) {
    const path = paths(i);
    const t = performance.now();
    const res = await fetch(url + path, { headers: { Cookie: cookie }, redirect: 'manual' });
    await res.arrayBuffer();
    const ms = performance.now() - t;
    if (res.status !== 200) errors.set(`${res.status} ${path}`, (errors.get(`${res.status} ${path}`) ?? 0) + 1);
    if (i >= warmUp) times.push(ms);
  }
  return { page, median: quantile(times, 0.5), p95: quantile(times, 0.95), errors: [...errors].map(([e, n]) => `${e} ×${n}`) };
}

/** A beacon as the script sends it; resolves with its time to the answer. */
async function timedBeacon(url: string, n: number): Promise<number> {
  const t = performance.now();
  const event = { id: `ev_stall_${n}_${Date.now()}`, type: 'pageview', ts: Date.now(), visitorId: `v_stall_${n % 20}`, sessionId: `s_stall_${n % 20}`, visit: 1, url: 'http://localhost:3000/pricing', path: '/pricing' };
  const res = await fetch(`${url}/v1/collect`, {
    method: 'POST',
    body: JSON.stringify({ site: 'demo', sentAt: Date.now(), events: [event] }),
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: 'http://localhost:3000', 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`collect answered ${res.status}`);
  return performance.now() - t;
}

/** Sends a beacon every 20 ms while `path` loads; the slowest answer then, and alone. */
async function beaconsWhileLoading(url: string, cookie: string, path: string) {
  let n = 0;
  const alone: number[] = [];
  for (let i = 0; i < 20; i++) alone.push(await timedBeacon(url, n++));
  const during: number[] = [];
  let loaded = false;
  const t = performance.now();
  const page = fetch(url + path, { headers: { Cookie: cookie } })
    .then((r) => r.arrayBuffer())
    .then(() => ((loaded = true), performance.now() - t));
  while (!loaded) {
    during.push(await timedBeacon(url, n++));
    await new Promise((r) => setTimeout(r, 20));
  }
  return { during: Math.max(...during), beacons: during.length, alone: Math.max(...alone), page: await page };
}

/** The slowest beacon answer allowed while a report computes: a stage change reaches sales within a second. */
const STALL_GOAL_MS = 500;

/**
 * Starts the ingest on a database holding the bulk data set, signs in and times every page;
 * prints a line a page and resolves false when one is over the goal or fails.
 *
 * @example
 * const ok = await timeDashboard('sqlite:/tmp/dash.db', 100_000);
 */
export async function timeDashboard(databaseUrl: string, leads: number): Promise<boolean> {
  const server = await startIngest(databaseUrl);
  try {
    const cookie = await signIn(server.url);
    // Leads of every stage, one a load (lead i's stage is i % 100: see the data set).
    const leadIds = Array.from({ length: WARM_UP + LOADS }, (_, i) => `ld_b${1 + ((i * 4_999 + 7) % leads)}`);
    const stages = ['mql', 'sql', 'customer', 'recycled'];
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const pages: Array<[string, (i: number) => string, { warmUp?: number; loads?: number }?]> = [
      // The overview keeps a period's figures for a minute: a new period each load times the work.
      ['overview (a new period a load)', (i) => `/app?period=custom&from=${day(-30 - i)}&to=${day(-i)}`],
      ['overview (figures kept)', () => '/app'],
      ['leads', () => '/app/leads'],
      ['leads: stage filter, by score', (i) => `/app/leads?stage=${stages[i % stages.length]}&sort=score`],
      ['leads: score range, active', () => '/app/leads?min=40&max=120&active=30'],
      ['leads: search', (i) => `/app/leads?q=co${1000 + i * 37}.example`],
      ['leads: search by company', (i) => `/app/leads?q=${encodeURIComponent(`Company ${200 + i}`)}`],
      ['a lead', (i) => `/app/leads/${leadIds[i]}`],
      // The content page keeps each of its three periods' figures for a minute: its first load of each, then the kept ones.
      ['content (first load of a period)', (i) => `/app/content?days=${[7, 30, 90][i]}`, { warmUp: 0, loads: 3 }],
      ['content (figures kept)', () => '/app/content'],
      // The scoring page keeps each rule's hits over 30 days for a minute: its first load counts them.
      ['scoring (first load)', () => '/app/scoring', { warmUp: 0, loads: 1 }],
      ['scoring (hits kept)', () => '/app/scoring'],
      ['webhooks', () => '/app/webhooks'],
    ];
    let ok = true;
    // Beacons while the overview computes a period nobody has viewed yet: the server must go on
    // storing events (on SQLite the reports read in a worker thread: db/reportReader/).
    const stall = await beaconsWhileLoading(server.url, cookie, `/app?period=custom&from=${day(-75)}&to=${day(-45)}`);
    // The goal is SQLite's, where a query runs on the thread that asks for it; PostgreSQL runs its
    // queries in the database, here on the same two cores as the ingest, so its figure is shown only.
    const sqlite = !/^postgres(ql)?:/i.test(databaseUrl);
    const stallOk = !sqlite || stall.during <= STALL_GOAL_MS;
    ok &&= stallOk;
    const verdict = !sqlite ? '(shown; the database shares the cores)' : stallOk ? 'ok' : `OVER ${STALL_GOAL_MS} ms`;
    console.log(`  ${'collect while a report computes'.padEnd(30)} max ${stall.during.toFixed(0).padStart(5)} ms over ${stall.beacons} beacons (alone: max ${stall.alone.toFixed(0)} ms; the page took ${stall.page.toFixed(0)} ms)   ${verdict}`);
    for (const [page, paths, loads] of pages) {
      const t = await timePage(server.url, cookie, page, paths, loads);
      const pass = t.errors.length === 0 && t.p95 <= GOAL_MS;
      ok &&= pass;
      console.log(`  ${t.page.padEnd(30)} median ${t.median.toFixed(0).padStart(5)} ms   p95 ${t.p95.toFixed(0).padStart(5)} ms   ${pass ? 'ok' : t.errors.length ? `FAILED ${t.errors.join(', ')}` : `OVER ${GOAL_MS} ms`}`);
    }
    return ok;
  } finally {
    await stop(server.child);
  }
}

async function benchDialect(dialect: 'sqlite' | 'postgres'): Promise<boolean> {
  const size = { leads: Math.round(100_000 * SCALE), events: Math.round(1_000_000 * SCALE) };
  const config = loadConfig(DEFAULT_CONFIG_PATH, {});
  const site = config.sites.find((s) => s.key === 'demo')!;
  const test = await createTestDatabase(dialect);
  try {
    const filled = await fillDashboardData(test.db, size, { now: Date.now(), ruleVersion: createScorer(site.scoring).version });
    console.log(`\n[${dialect}] ${size.leads.toLocaleString('en')} leads, ${size.events.toLocaleString('en')} events (${Object.values(filled.rows).reduce((a, b) => a + b, 0).toLocaleString('en')} rows in ${Object.keys(filled.rows).length} tables) written in ${filled.seconds.toFixed(1)} s`);
    return await timeDashboard(test.url, size.leads);
  } finally {
    await test.close();
  }
}

/**
 * Times every dashboard page on both dialects; false when any page is over the goal or fails.
 *
 * @example
 * results.push(['dashboard pages (p95 under 300 ms)', await benchDashboard()]);
 */
export async function benchDashboard(): Promise<boolean> {
  console.log(`\nDashboard pages: median and p95 of ${LOADS} loads after ${WARM_UP} to warm up; goal: p95 under ${GOAL_MS} ms`);
  const sqlite = await benchDialect('sqlite');
  if (pgProblem) {
    console.log(`  [postgres] skipped: ${TEST_POSTGRES_URL} is not reachable (${pgProblem})`);
    return sqlite;
  }
  const postgres = await benchDialect('postgres');
  return sqlite && postgres;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = (await benchDashboard()) ? 0 : 1;
}
