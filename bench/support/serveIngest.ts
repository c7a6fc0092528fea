/**
 * A server for the ingest load benchmark, in its own process so that the load generator does
 * not share its event loop: `tsx bench/support/serveIngest.ts DATABASE_URL` serves the real app
 * (test config), `… noop` a Hono POST handler that only answers, the baseline. Prints the port.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../ingest/src/app.js';
import { openDatabase } from '../../ingest/src/db/openDatabase.js';
import { TEST_SECRET_KEY, testConfig } from '../../test/support/ingest.js';

const target = process.argv[2]!;
const app = target === 'noop' ? new Hono().post('/v1/collect', (c) => c.body(null, 202)) : createApp({ db: openDatabase(target).db, config: testConfig, secretKey: TEST_SECRET_KEY });
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => process.exit(0));
