import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on loopback for tests: records every request; `answers` says what to
 * reply, one status (or `'hang'`: no answer at all) per request, then 200.
 *
 * @example
 * const receiver = await startReceiver([500, 500]);
 */
export async function startReceiver(answers: Array<number | 'hang'> = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body });
      const answer = answers.shift() ?? 200;
      // 'hang': never answer (the sender's timeout must fire); the socket closes with the server.
      if (answer !== 'hang') res.writeHead(answer).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answers,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
