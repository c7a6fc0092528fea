import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';
import type { TrackedEvent } from '../../shared/src/types.js';
import { BROWSER_UA, DEMO_ORIGIN } from './ingest.js';

/**
 * Serves apps on free loopback ports for one test file, and closes them after it: for tests
 * that need a real socket (clients told apart by the `X-Forwarded-For` a trusted proxy on this
 * host passes on, keep-alive behaviour). Call it in a describe block.
 *
 * @example
 * const serveApp = loopbackServers();
 * const base = await serveApp(createApp({ db, config, secretKey })); // 'http://127.0.0.1:41234'
 */
export function loopbackServers(): (app: { fetch: (request: Request) => Response | Promise<Response> }) => Promise<string> {
  const servers: ServerType[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));
  return async (app) => {
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}

/**
 * Posts batches to `/v1/collect` as the script does, each from a client of its own: the app,
 * served on loopback (it must trust the loopback proxy), reads the client from the
 * `X-Forwarded-For` that a proxy on this host passes on. The app is made on the first post.
 *
 * @example
 * const post = collectFromClients(() => createApp({ ..., limits: { trustedProxies: ['loopback'] } }));
 * const res = await post('203.0.113.10', [form]);
 */
export function collectFromClients(app: () => { fetch: (request: Request) => Response | Promise<Response> }, site = 'scored') {
  const serveApp = loopbackServers();
  let base = '';
  return async (client: string, events: TrackedEvent[]): Promise<Response> => {
    base ||= await serveApp(app());
    return fetch(`${base}/v1/collect`, {
      method: 'POST',
      body: JSON.stringify({ site, sentAt: Date.now(), events }),
      headers: { 'Content-Type': 'text/plain', Origin: DEMO_ORIGIN, 'User-Agent': BROWSER_UA, 'X-Forwarded-For': client },
    });
  };
}
