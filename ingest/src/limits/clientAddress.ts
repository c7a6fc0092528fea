import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import proxyAddr from 'proxy-addr';

/**
 * The address a request came from: the socket's peer, or, only when that peer is one of the
 * trusted proxies, the address it forwarded (`X-Forwarded-For`, walked from the right past every
 * trusted hop). Anyone can write that header; Umami and Plausible once believed it from
 * everyone. Used for limits only: never stored.
 *
 * @example
 * const addressOf = createClientAddress(['10.0.0.0/8']);
 * addressOf(c) // '203.0.113.9'
 */
export function createClientAddress(trustedProxies: string[]) {
  const trust = proxyAddr.compile(trustedProxies);
  return (c: Context): string => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // Without a socket (an in-process request in tests) there is no address to tell apart.
    return incoming?.socket ? proxyAddr(incoming, trust) : 'local';
  };
}
