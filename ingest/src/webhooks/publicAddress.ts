import ipaddr from 'ipaddr.js';

/** What each of ipaddr.js's ranges is, in words for an error message. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  private: 'a private address',
  uniqueLocal: 'a unique-local (private) address',
  deprecatedSiteLocal: 'a site-local (private) address',
  reserved: 'a reserved address',
};

/** Where cloud providers answer with instance credentials: the classic SSRF prize. */
const CLOUD_METADATA = '169.254.169.254';
/** NAT64 (RFC 6052): the gateway forwards to the IPv4 address in the last 32 bits, so that one decides. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
/** The only IPv6 addresses routed on the internet; ipaddr.js calls all unlisted ones `unicast`. */
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * Why an IP address is not one a webhook may be sent to (loopback, private, link-local,
 * CGNAT, unique-local, unspecified, multicast, broadcast, reserved and other special-purpose
 * ranges), or `null` when it is a public unicast address. IPv4 inside IPv6 (mapped, NAT64) is
 * judged by its IPv4 address. Not an IP address: throws.
 *
 * @example
 * whyNotPublic('10.0.0.5') // 'a private address'
 * whyNotPublic('::ffff:127.0.0.1') // 'an IPv4-mapped form of 127.0.0.1, a loopback address'
 * whyNotPublic('93.184.215.14') // null
 */
export function whyNotPublic(ip: string): string | null {
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') return whyNotPublicV4(address as ipaddr.IPv4);
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return embedded('an IPv4-mapped form', v6.toIPv4Address());
  if (v6.match(NAT64_WELL_KNOWN)) return embedded('a NAT64 form', ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4);
  const range = v6.range();
  if (range !== 'unicast') return RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
  return v6.match(GLOBAL_UNICAST) ? null : 'a reserved address';
}

function whyNotPublicV4(v4: ipaddr.IPv4): string | null {
  const range = v4.range();
  if (range === 'unicast') return null;
  if (v4.toString() === CLOUD_METADATA) return 'a link-local address (the cloud metadata service)';
  return RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
}

function embedded(form: string, v4: ipaddr.IPv4): string | null {
  const why = whyNotPublicV4(v4);
  return why && `${form} of ${v4.toString()}, ${why}`;
}

/**
 * True for a string that is an IP address as DNS answers and URLs print them (dotted IPv4 or
 * IPv6, no brackets); unusual IPv4 spellings are the URL parser's job.
 *
 * @example
 * isIpAddress('::1') // true
 * isIpAddress('hooks.example') // false
 */
export const isIpAddress = (host: string) => ipaddr.IPv4.isValidFourPartDecimal(host) || ipaddr.IPv6.isValid(host);
