import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { whyNotPublic } from './publicAddress.js';

/** Resolves a host name to its addresses; tests pass a stub, so no real name is looked up. */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/**
 * The system's resolver (`/etc/hosts`, then DNS), every address.
 *
 * @example
 * await systemResolver('hooks.example') // [{ address: '203.0.113.7', family: 4 }]
 */
export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true });

/** A connection refused because of where it would go; its message is what the delivery log shows. */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
  readonly code = 'ELEADBEAM_REFUSED';
}

/**
 * A `lookup` for `net.connect` (and so for undici's `connect` option) that resolves the name
 * once, refuses when any address is not public (unless `allowPrivate`), and hands the socket
 * exactly the addresses it checked: the connection goes where the check looked, so a DNS
 * answer that changes in between (rebinding) cannot slip a private address past it.
 *
 * @example
 * const agent = new Agent({ connect: { lookup: createCheckedLookup({ resolve: systemResolver }) } });
 */
export function createCheckedLookup({ resolve, allowPrivate = false }: { resolve: Resolver; allowPrivate?: boolean }): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const refused = allowPrivate ? undefined : found.find((a) => whyNotPublic(a.address));
        if (refused) {
          return callback(new RefusedAddressError(`refused: ${hostname} resolves to ${refused.address}, ${whyNotPublic(refused.address)}`), '', 0);
        }
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = found.filter((a) => !family || a.family === family);
        const first = usable[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} resolves to no usable address`), { code: 'ENOTFOUND', hostname }), '', 0);
        // With `all` (Node's Happy Eyeballs asks for it) every checked address; else the first.
        if (options.all) callback(null, usable.map(({ address, family }) => ({ address, family })));
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
