import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';
import { logger } from '../ops/logger.js';

/**
 * The client a request came from, as limits count it: the socket's peer, or, only when that
 * peer is one of the trusted proxies, the address it forwarded (`X-Forwarded-For`, walked from
 * the right past every trusted hop). Anyone can write that header; Umami and Plausible once
 * believed it from everyone. An IPv6 client is its /64 (`2001:db8:1:2::/64`): one host gets a
 * whole /64, so counting each address would give it unlimited budgets; IPv4-mapped IPv6 counts
 * as the IPv4 address. Used for limits only: never stored.
 *
 * @example
 * const addressOf = createClientAddress(['10.0.0.0/8']);
 * addressOf(c) // '203.0.113.9', or '2001:db8:1:2::/64'
 */
export function createClientAddress(trustedProxies: string[]) {
  const trust = proxyAddr.compile(trustedProxies);
  let warned = false;
  return (c: Context): string => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // Without a socket (an in-process request in tests) there is no address to tell apart.
    if (!incoming?.socket) return 'local';
    const address = proxyAddr(incoming, trust);
    const peer = incoming.socket.remoteAddress ?? '';
    if (!warned && incoming.headers['x-forwarded-for'] && address === peer && !trust(peer, 0)) {
      // Behind a proxy that is not trusted, every visitor has the proxy's address: say so once.
      warned = true;
      logger.warn({ peer: 'untrusted' }, 'requests carry X-Forwarded-For from a peer not in LEADBEAM_TRUSTED_PROXIES: it is ignored, so per-address limits see the proxy, not the visitors');
    }
    return clientOf(address);
  };
}

/**
 * Whether a request is this machine talking to itself (a test, a benchmark, a local tool): its
 * socket peer is loopback and its address was not taken from `X-Forwarded-For`. A forwarded
 * address is never "this machine", even one that reads 127.0.0.1: a proxy that passes the
 * header through would let any client claim it. Requests without a socket (in-process) are.
 *
 * @example
 * const isThisMachine = createThisMachineCheck(['loopback']);
 * isThisMachine(c) // true for a curl on the server itself
 */
export function createThisMachineCheck(trustedProxies: string[]) {
  const trust = proxyAddr.compile(trustedProxies);
  return (c: Context): boolean => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming?.socket) return true;
    const peer = incoming.socket.remoteAddress ?? '';
    const forwarded = !!incoming.headers['x-forwarded-for'] && trust(peer, 0);
    return !forwarded && isLoopback(peer);
  };
}

/**
 * What limits count for one address: an IPv4 address as it is (also when spelt as IPv4-mapped
 * IPv6), IPv6 loopback as `::1`, any other IPv6 address as its /64, since that is what one
 * subscriber or host is given. Anything unparsable as it is.
 *
 * @example
 * clientOf('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * clientOf('::ffff:203.0.113.9') // '203.0.113.9'
 */
export function clientOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4' || parsed.range() === 'loopback') return parsed.toString();
  const { parts } = parsed as ipaddr.IPv6;
  return `${new ipaddr.IPv6([...parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/**
 * True for an address on this machine (127.0.0.0/8, ::1, and IPv4-mapped spellings): a local
 * proxy, a test or a benchmark talking directly. Per-client identity limits skip it, since
 * nothing tells the users of such a client apart.
 *
 * @example
 * isLoopback('::ffff:127.0.0.1') // true
 */
export function isLoopback(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'loopback';
}
