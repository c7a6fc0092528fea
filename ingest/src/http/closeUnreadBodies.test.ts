import { Agent, request } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { BROWSER_UA, DEMO_ORIGIN, TEST_SECRET_KEY, makeEvent, testApp } from '../../../test/support/ingest.js';
import { API_MAX_BODY_BYTES } from '../app.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

// Over a real socket: the bug lives between Node's HTTP parser and a client reusing a connection.
describe('bodies answered before they were read', () => {
  let test: TestDatabase;
  let server: ServerType;
  let port: number;
  let agent: Agent;
  let sockets = 0;

  beforeAll(async () => {
    test = await createTestDatabase('sqlite');
    const app = testApp(test.db);
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    server.on('connection', () => sockets++);
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    agent?.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await test?.close();
  });

  /** One request on the shared agent; a dropped one rejects (ECONNRESET, socket hang up). */
  const send = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no answer within 10 s`)));
      req.on('error', reject);
      req.end(body);
    });
  const collect = () =>
    send('/v1/collect', JSON.stringify({ site: 'demo', sentAt: Date.now(), events: [makeEvent()] }), {
      'Content-Type': 'text/plain;charset=UTF-8',
      Origin: DEMO_ORIGIN,
      'User-Agent': BROWSER_UA,
    });

  it('closes the connection after a 413, so the 50 requests queued behind it on a keep-alive socket are all answered', async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    sockets = 0;
    const huge = send('/v1/collect', Buffer.alloc(5 * 1024 * 1024, 'a'), { 'Content-Type': 'text/plain' });
    const [first, ...rest] = await Promise.allSettled([huge, ...Array.from({ length: 50 }, collect)]);
    const wrong = rest.flatMap((a, i) => (a.status === 'rejected' ? [`#${i}: ${a.reason}`] : a.value.status === 200 ? [] : [`#${i}: ${a.value.status} ${a.value.body}`]));
    expect(wrong).toEqual([]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { status: 413, connection: 'close' } });
    // The 413's socket was closed; the others shared one new socket.
    expect(sockets).toBe(2);
    agent.destroy();
  });

  it('closes the connection after a 401 to a POST whose body was never read', async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const denied = await send('/v1/leads/x/feedback', JSON.stringify({ type: 'accepted' }), { 'Content-Type': 'application/json' });
    expect(denied.status).toBe(401);
    expect(denied.connection).toBe('close');
    // And the connection after it still works.
    expect((await collect()).status).toBe(200);
    agent.destroy();
  });

  it('refuses a keyed API body over 1 MB before reading it (a backtest draft, say), and closes that connection', async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const big = await send('/v1/scoring/backtest', Buffer.alloc(API_MAX_BODY_BYTES + 1, 'a'), { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_SECRET_KEY}` });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error).toMatchObject({ code: 'payload_too_large', field: 'body' });
    expect(big.connection).toBe('close');
    expect((await collect()).status).toBe(200);
    agent.destroy();
  });

  it('keeps the connection open when the body was read', async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ok = await collect();
    expect(ok.status).toBe(200);
    expect(ok.connection).toBe('keep-alive');
    agent.destroy();
  });
});
