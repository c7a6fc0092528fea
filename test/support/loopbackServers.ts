import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

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
