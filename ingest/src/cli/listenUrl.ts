/**
 * The URL to print for a server on this machine listening on `host` (the HOST setting) and
 * `port`: `localhost` when it listens on every interface (no HOST, `0.0.0.0`, `::`), else the
 * address HOST names, since the server is reachable there only (an IPv6 address in brackets).
 *
 * @example
 * listenUrl(undefined, 3000) // 'http://localhost:3000'
 * listenUrl('127.0.0.1', 3000) // 'http://127.0.0.1:3000'
 * listenUrl('::1', 3000) // 'http://[::1]:3000'
 */
export function listenUrl(host: string | undefined, port: number): string {
  const everywhere = !host || host === '0.0.0.0' || host === '::';
  return `http://${everywhere ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}
