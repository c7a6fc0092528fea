/**
 * Test setup (every ingest and end-to-end test file): the tests reach loopback only. A name
 * other than `localhost` is never looked up (a DNS query leaves the machine) and a socket never
 * connects to an address off loopback; either fails with an error that says so, and the test
 * file fails afterwards even when the code under test swallowed that error (a dispatcher
 * retrying a delivery in the background, say).
 */
import dns from 'node:dns';
import net from 'node:net';
import { afterAll, expect } from 'vitest';

const attempts: string[] = [];

const isLoopbackHost = (host: string) => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  return bare === '::1' || /^::ffff:127\./.test(bare);
};

const refusal = (what: string, host: string) => {
  attempts.push(`${what} ${host}`);
  return Object.assign(new Error(`tests reach loopback only: ${what} ${host} refused`), { code: 'ENOTFOUND', hostname: host });
};

const lookup = dns.lookup;
dns.lookup = ((hostname: string, ...rest: unknown[]) => {
  if (isLoopbackHost(hostname)) return (lookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  const callback = rest.at(-1) as (err: Error) => void;
  process.nextTick(callback, refusal('lookup of', hostname));
}) as typeof dns.lookup;

const lookupPromise = dns.promises.lookup;
dns.promises.lookup = ((hostname: string, ...rest: unknown[]) =>
  isLoopbackHost(hostname) ? (lookupPromise as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest) : Promise.reject(refusal('lookup of', hostname))) as typeof dns.promises.lookup;

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const options = (Array.isArray(first) ? first[0] : first) as { host?: string; path?: string; lookup?: unknown } | number | string;
  const host = typeof options === 'object' && options !== null ? options.host : typeof args[1] === 'string' ? args[1] : undefined;
  // A name is checked when it is looked up (a custom lookup may map it anywhere, so its answer is checked here too); IPC paths stay local.
  if (typeof options === 'object' && options !== null && options.path) return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  if (host && net.isIP(host.replace(/^\[|\]$/g, '')) && !isLoopbackHost(host)) {
    const err = refusal('connection to', host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  if (typeof options === 'object' && options !== null && typeof options.lookup === 'function') {
    const custom = options.lookup as (h: string, o: object, cb: (...r: unknown[]) => void) => void;
    options.lookup = (h: string, o: object, cb: (...r: unknown[]) => void) =>
      custom(h, o, (err: unknown, address: unknown, family: unknown) => {
        const addresses = Array.isArray(address) ? address.map((a: { address: string }) => a.address) : [address as string];
        const off = !err && addresses.find((a) => a && !isLoopbackHost(a));
        if (off) return cb(refusal('connection to', `${h} (${off})`), '', 0);
        cb(err, address, family);
      });
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

afterAll(() => {
  expect(attempts, 'this test file tried to reach an address off loopback').toEqual([]);
});
