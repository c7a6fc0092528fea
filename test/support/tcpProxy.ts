import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1; the same after `restore()`. */
  port: number;
  /** Local ports of its connections to the target, to find them in `pg_stat_activity`. */
  upstreamPorts(): number[];
  /** A network cut: every connection is destroyed and new ones are refused. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` on 127.0.0.1, which a test can cut and
 * restore to play a database outage without touching the database.
 *
 * @example
 * const proxy = await startTcpProxy(5432);
 * await proxy.cut(); … await proxy.restore();
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    upstreams.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      upstreams.delete(upstream);
    };
    // A reset on either side resets the other, as a real network path would.
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = async () => {
    const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of sockets) s.destroy();
    sockets.clear();
    upstreams.clear();
    await closed;
  };
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    upstreamPorts: () => [...upstreams].map((s) => s.localPort).filter((p): p is number => typeof p === 'number'),
    cut: stop,
    restore: () => listen(port),
    close: stop,
  };
}
