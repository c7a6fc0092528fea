/**
 * Scale-out on PostgreSQL: 1, 2 and 4 stateless ingest processes on one database, the same
 * load (50 connections of single-event beacons, spread evenly over the processes, as a load
 * balancer would), each process with its own pool. Prints requests/s and p99 for each, and
 * checks that every acknowledged event is stored. On this two-core machine the processes share
 * the cores with PostgreSQL and the load generator, so the figures show that adding processes
 * is safe, not how far more cores would take it.
 */
import { sql } from 'kysely';
import { createTestDatabase } from '../test/support/databases.js';
import { load, startServer, stopServer, type LoadResult } from './ingestLoad.js';

const CONNECTIONS = 50;

export async function benchScaleOut(seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10)): Promise<boolean> {
  console.log(`\nScale-out: ingest processes on one PostgreSQL, ${CONNECTIONS} connections in all, ${seconds} s each`);
  let ok = true;
  for (const processes of [1, 2, 4]) {
    const test = await createTestDatabase('postgres');
    const servers = await Promise.all(Array.from({ length: processes }, () => startServer(test.url)));
    try {
      await Promise.all(servers.map((s) => load(s.url, 2, CONNECTIONS / processes)));
      const results: LoadResult[] = await Promise.all(servers.map((s) => load(s.url, seconds, Math.round(CONNECTIONS / processes))));
      const rps = results.reduce((a, r) => a + r.rps, 0);
      const acknowledged = results.reduce((a, r) => a + r.ok, 0);
      const failed = results.reduce((a, r) => a + r.failed, 0);
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from events where visitor_id like 'v_load_%'`.execute(test.db);
      const complete = Number(rows[0]!.n) >= acknowledged && failed === 0;
      ok &&= complete;
      console.log(`  ${String(processes).padStart(2)} process${processes > 1 ? 'es' : '  '} ${rps.toFixed(0).padStart(7)} req/s  p99 ${Math.max(...results.map((r) => r.p99))} ms  ${acknowledged} acknowledged, ${failed} failed, ${complete ? 'all stored' : 'MISSING'}`);
    } finally {
      await Promise.all(servers.map((s) => stopServer(s.child)));
      await test.close();
    }
  }
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await benchScaleOut()) ? 0 : 1;
}
