import type { ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.js';
import { TEST_SECRET_KEY } from '../../../test/support/ingest.js';
import { readSettings } from '../settings.js';
import { startIngest } from '../startIngest.js';
import { DEFAULT_LIMITS } from './readLimits.js';

/** What `startIngest` handed to `serve`, and the server it got back: the settings it really runs with. */
const started = vi.hoisted(() => [] as Array<{ options: { serverOptions?: { headersTimeout?: number; requestTimeout?: number; connectionsCheckingInterval?: number } }; server: ServerType }>);
vi.mock('@hono/node-server', async (importOriginal) => {
  const real = await importOriginal<typeof import('@hono/node-server')>();
  return {
    ...real,
    serve: (options: Parameters<typeof real.serve>[0], listening?: Parameters<typeof real.serve>[1]) => {
      const server = real.serve(options, listening);
      started.push({ options: options as (typeof started)[number]['options'], server });
      return server;
    },
  };
});

const SECOND = 1000;

/** A raw connection to the server on loopback, once connected. */
async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** How long until the server closes the socket (ms), or -1 if it is still open after `within`. */
function closedWithin(socket: Socket, within: number, since = Date.now()): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    const timer = setTimeout(() => resolve(-1), within);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

describeEachDialect('the server’s own limits (startIngest)', (getDb) => {
  const start = (env: Record<string, string> = {}) =>
    startIngest(readSettings({ PORT: '0', DATABASE_URL: getDb().url, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY }), { LEADBEAM_CONFIG: '', ...env });

  it('starts with header and request timeouts (with Node’s check interval) that add up to at most 30 s, and the connection cap, when nothing is set', async () => {
    started.length = 0;
    // No limit variables at all: the defaults as a fresh install runs them.
    const ingest = await start();
    try {
      expect(started).toHaveLength(1);
      const { options, server } = started[0]!;
      const http = server as Server;
      expect(http.headersTimeout).toBeGreaterThan(0);
      expect(http.headersTimeout).toBeLessThanOrEqual(30 * SECOND);
      expect(http.requestTimeout).toBeGreaterThan(0);
      expect(http.requestTimeout).toBeLessThanOrEqual(30 * SECOND);
      // Node checks the timeouts only every connectionsCheckingInterval: the cut comes that much later.
      const interval = options.serverOptions?.connectionsCheckingInterval ?? 30 * SECOND;
      expect(http.requestTimeout + interval).toBeLessThanOrEqual(30 * SECOND);
      expect(http.headersTimeout + interval).toBeLessThanOrEqual(30 * SECOND);
      expect(http.maxConnections).toBe(DEFAULT_LIMITS.maxConnections);
    } finally {
      await ingest.close();
    }
  });

  it('listens on every interface by default, and only on the address HOST names when set', async () => {
    const everywhere = await start();
    try {
      expect((started.at(-1)!.server.address() as { address: string }).address).toMatch(/^(::|0\.0\.0\.0)$/);
    } finally {
      await everywhere.close();
    }
    const loopback = await startIngest(readSettings({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: getDb().url, LEADBEAM_SECRET_KEY: TEST_SECRET_KEY }), { LEADBEAM_CONFIG: '' });
    try {
      expect((started.at(-1)!.server.address() as { address: string }).address).toBe('127.0.0.1');
      expect(loopback.url).toBe(`http://127.0.0.1:${loopback.port}`);
      expect((await fetch(`${loopback.url}/health`)).status).toBe(200);
    } finally {
      await loopback.close();
    }
    expect(() => readSettings({ HOST: 'not a host!', LEADBEAM_SECRET_KEY: TEST_SECRET_KEY })).toThrow('HOST: "not a host!" is neither an IP address nor a host name');
  });

  it('cuts a connection whose headers never finish, within the header timeout (well before the request timeout)', async () => {
    const ingest = await start({ LEADBEAM_HEADERS_TIMEOUT_MS: '1000' });
    try {
      const socket = await open(ingest.port);
      const since = Date.now();
      // A request line and one header, then nothing: the blank line never comes.
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const closed = await closedWithin(socket, 10 * SECOND, since);
      socket.destroy();
      expect(closed).toBeGreaterThan(0);
      expect(closed).toBeLessThan(5 * SECOND);
    } finally {
      await ingest.close();
    }
  }, 20_000);

  it('stops within the request timeout when senders stall mid-body or mid-headers as the stop begins (server.close() alone waited for them for ever)', async () => {
    const ingest = await start({ LEADBEAM_REQUEST_TIMEOUT_MS: '1500' });
    const body = await open(ingest.port);
    const headers = await open(ingest.port);
    try {
      // Headers and one byte of a 100-byte body, then nothing; and headers that never end.
      body.write('POST /v1/collect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n{');
      headers.write('POST /v1/collect HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await new Promise((r) => setTimeout(r, 100));
      const stopped = await Promise.race([ingest.close().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 8 * SECOND))]);
      expect(stopped).toBe('stopped');
      expect(await closedWithin(body, 1000)).toBeGreaterThanOrEqual(0);
      expect(await closedWithin(headers, 1000)).toBeGreaterThanOrEqual(0);
    } finally {
      body.destroy();
      headers.destroy();
    }
  }, 20_000);

  it('accepts at most LEADBEAM_MAX_CONNECTIONS open connections: one more is closed at once, the others keep working', async () => {
    const ingest = await start({ LEADBEAM_MAX_CONNECTIONS: '2' });
    const sockets: Socket[] = [];
    try {
      sockets.push(await open(ingest.port), await open(ingest.port));
      const third = connect(ingest.port, '127.0.0.1');
      third.on('error', () => {});
      sockets.push(third);
      let answered = '';
      third.on('data', (d) => (answered += d));
      third.once('connect', () => third.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      expect(await closedWithin(third, 3 * SECOND)).toBeGreaterThanOrEqual(0);
      expect(answered).toBe('');
      // The connections within the cap are served.
      const first = sockets[0]!;
      const reply = new Promise<string>((resolve) => first.once('data', (d) => resolve(String(d))));
      first.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      expect(await reply).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const s of sockets) s.destroy();
      await ingest.close();
    }
  }, 20_000);
});
