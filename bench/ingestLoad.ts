/**
 * Ingest throughput: `POST /v1/collect` under load from autocannon (50 connections), each
 * request a batch as the script sends it (text/plain, from an allowed origin, a browser's user
 * agent), every event with its own id, from a pool of returning visitors. The server runs in a
 * child process, so the load generator does not share its event loop. Baseline, in the same
 * run: a Hono POST handler that only answers. Afterwards it checks that every event the ingest
 * acknowledged is in the database, since a 2xx promises that.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, newId } from '../test/support/ingest.js';

const CONNECTIONS = 50;
/** Single-event beacons, as the script sends most of them (a page view, a click). */
const EVENTS_PER_BATCH = Number(process.env.BENCH_EVENTS_PER_BATCH ?? 1);
const VISITORS = Number(process.env.BENCH_VISITORS ?? 5000);
/** Goals against the no-op handler, with scoring, at this load. */
const GOALS = { sqlite: 0.5, postgres: 0.35 } as const;
const P99_GOAL_MS = 50;

export async function startServer(target: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/serveIngest.ts', target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${JSON.parse(line).port}`, child };
}

export const stopServer = (child: ChildProcess) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM')));

/** A page view, a marked click and an engagement event of one of the pool's visitors. */
export function nextBatch(): string {
  const n = Math.floor(Math.random() * VISITORS);
  const common = { visitorId: `v_load_${n}`, sessionId: `s_load_${n}`, visit: 2, url: `${DEMO_ORIGIN}/pricing`, title: 'Pricing', referrer: `${DEMO_ORIGIN}/blog/` };
  const ts = Date.now();
  const events = [
    { id: newId(), type: 'pageview', ts, ...common },
    { id: newId(), type: 'click', name: 'pricing_calculator_used', props: { seats: 12 }, ts, ...common },
    { id: newId(), type: 'engagement', props: { engagedMs: 14000, scrollDepth: 80 }, ts, ...common },
  ].slice(0, EVENTS_PER_BATCH);
  return JSON.stringify({ site: 'demo', sentAt: ts, events });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

/** Two seconds of load first, not counted: a cold process compiles its code under the first requests. */
async function warmUpThenLoad(url: string, seconds: number): Promise<LoadResult> {
  await load(url, 2);
  return load(url, seconds);
}

export async function load(url: string, seconds: number, connections = CONNECTIONS): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/v1/collect`,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA },
    requests: [{ setupRequest: (req: any) => ({ ...req, body: nextBatch() }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], failed: result.non2xx + result.errors + result.timeouts };
}

export async function benchIngestLoad(seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10)): Promise<boolean> {
  console.log(`\nIngest throughput: POST /v1/collect, ${CONNECTIONS} connections, ${EVENTS_PER_BATCH} events a request, ${seconds} s each`);
  const noop = await startServer('noop');
  const baseline = await warmUpThenLoad(noop.url, seconds).finally(() => stopServer(noop.child));
  const line = (name: string, r: LoadResult) =>
    `  ${name.padEnd(26)}${r.rps.toFixed(0).padStart(7)} req/s${(r.rps * EVENTS_PER_BATCH).toFixed(0).padStart(8)} events/s  p50 ${r.p50} ms, p99 ${r.p99} ms`;
  console.log(line('Hono no-op (baseline)', baseline));
  let ok = true;
  const dialects = ['sqlite', 'postgres'] as const;
  for (const dialect of dialects) {
    const test: TestDatabase = await createTestDatabase(dialect);
    try {
      const server = await startServer(test.url);
      const r = await warmUpThenLoad(server.url, seconds).finally(() => stopServer(server.child));
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from events where visitor_id like 'v_load_%'`.execute(test.db);
      const stored = Number(rows[0]!.n);
      // Warm-up requests are stored too, so at least every acknowledged event must be there.
      const complete = stored >= r.ok * EVENTS_PER_BATCH && r.failed === 0;
      const ratio = r.rps / baseline.rps;
      const fast = ratio >= GOALS[dialect] && r.p99 < P99_GOAL_MS;
      ok &&= complete && fast;
      console.log(`${line(`leadbeam on ${dialect}`, r)}  (${ratio.toFixed(2)}× baseline; goal ≥ ${GOALS[dialect]}× and p99 < ${P99_GOAL_MS} ms: ${fast ? 'ok' : 'OVER'})`);
      console.log(`    ${r.ok} requests acknowledged, ${r.failed} failed; ${stored} of ${r.ok * EVENTS_PER_BATCH} acknowledged events stored (${complete ? 'all' : 'MISSING'})`);
    } finally {
      await test.close();
    }
  }
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await benchIngestLoad()) ? 0 : 1;
}
