import { serve, type ServerType } from '@hono/node-server';
import { listenUrl } from '../ingest/src/cli/listenUrl.js';
import { createDemoSite, type DemoSiteOptions } from './createDemoSite.js';

/**
 * Serves the demo site on `port`, on every interface or only on `host` (the HOST setting);
 * resolves once it listens, with the URL that reaches it (on the address `host` names, as the
 * ingest's), and rejects when it cannot (a busy port).
 *
 * @example
 * const demo = await startDemoSite(3000, { ingestUrl: 'http://localhost:8787', siteKey: 'demo', secretKey: settings.secretKey });
 */
export async function startDemoSite(port: number, options: DemoSiteOptions, host?: string): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const app = createDemoSite(options);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, ...(host && { hostname: host }) }, () => resolve(s));
    // A busy port is a setting to change, not a crash with a stack trace.
    const refuse = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: set DEMO_PORT to another`) : err);
    s.once('error', refuse);
    s.once('listening', () => s.off('error', refuse));
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: listenUrl(host, actual),
    port: actual,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
