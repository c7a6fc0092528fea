import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';
import { logger } from '../ops/logger.js';

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
  let warned = false;
  return (c: Context): string => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // Without a socket (an in-process request in tests) there is no address to tell apart.
    if (!incoming?.socket) return 'local';
    const address = proxyAddr(incoming, trust);
    if (!warned && incoming.headers['x-forwarded-for'] && address === incoming.socket.remoteAddress) {
      // Behind a proxy that is not trusted, every visitor has the proxy's address: say so once.
      warned = true;
      logger.warn({ peer: 'untrusted' }, 'requests carry X-Forwarded-For from a peer not in LEADBEAM_TRUSTED_PROXIES: it is ignored, so per-address limits see the proxy, not the visitors');
    }
    return address;
  };
}

/**
 * True for an address on this machine (127.0.0.0/8, ::1, and IPv4-mapped spellings): a local
 * proxy, a test or a benchmark. Per-client identity limits skip it, since behind a local proxy
 * that is not trusted every visitor would share it.
 *
 * @example
 * isLoopback('::ffff:127.0.0.1') // true
 */
export function isLoopback(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'loopback';
}
