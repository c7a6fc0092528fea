import { createServer } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../ingest/src/app.js';
import { createWebhookDispatcher } from '../../ingest/src/webhooks/dispatcher.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../ingest/src/config/loadConfig.js';
import { startDemoSite } from '../../demo-site/startDemoSite.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { TEST_SECRET_KEY } from './ingest.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Stack {
  ingestUrl: string;
  demoUrl: string;
  test: TestDatabase;
  /** Calls the API with the secret key; resolves to the parsed JSON and status. */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The product as `npm start` runs it (ingest with the shipped demo config, plus the demo
 * site), on free ports and a fresh database, for end-to-end tests.
 *
 * @example
 * const stack = await startStack();
 */
export async function startStack({ dialect = 'sqlite' as const } = {}): Promise<Stack> {
  const test = await createTestDatabase(dialect);
  const demoPort = await freePort();
  const config = loadConfig(DEFAULT_CONFIG_PATH, { DEMO_PORT: String(demoPort) });
  const dispatcher = createWebhookDispatcher({ db: test.db, pollMs: 200, allowPrivateWebhooks: true });
  dispatcher.start();
  const app = createApp({ db: test.db, config, secretKey: TEST_SECRET_KEY, dispatcher, allowPrivateWebhooks: true });
  const ingest: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0 }, () => resolve(s));
  });
  const ingestUrl = `http://localhost:${(ingest.address() as { port: number }).port}`;
  // Tests run under automation (navigator.webdriver), which the script skips unless told.
  const demo = await startDemoSite(demoPort, { ingestUrl, siteKey: 'demo', secretKey: TEST_SECRET_KEY, attributes: { 'track-automation': 'true' } });
  return {
    ingestUrl,
    demoUrl: demo.url,
    test,
    async api(path, init = {}) {
      const res = await fetch(ingestUrl + path, {
        method: init.method ?? 'GET',
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, 'Content-Type': 'application/json' },
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    },
    async close() {
      await demo.close();
      await new Promise<void>((resolve) => ingest.close(() => resolve()));
      await dispatcher.stop();
      await test.close();
    },
  };
}

/** Polls until `check` returns a value (or throws its last error after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw lastError ?? new Error(`condition not met within ${timeoutMs} ms`);
}
