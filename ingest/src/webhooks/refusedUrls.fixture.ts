/**
 * Test data: every way the security probe (and RFC 6890) names a place a webhook must not go,
 * with what the refusal says. Shared by the address, API and config-file tests.
 *
 * @example
 * for (const [url, why] of REFUSED_URLS) expect(webhookUrlProblem(url)).toMatch(why);
 */
export const REFUSED_URLS: Array<[url: string, why: RegExp]> = [
  ['http://127.0.0.1/hook', /^127\.0\.0\.1 is a loopback address/],
  ['http://2130706433/hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://0x7f000001/hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://0177.0.0.1/hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://127.1/hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://[::1]:8080/hook', /^::1 is a loopback address/],
  ['http://169.254.169.254/latest/meta-data/', /is a link-local address \(the cloud metadata service\)/],
  ['http://169.254.10.20/hook', /is a link-local address/],
  ['http://[fe80::1]/hook', /is a link-local address/],
  ['http://10.0.0.5/hook', /^10\.0\.0\.5 is a private address/],
  ['https://172.16.3.4/hook', /is a private address/],
  ['http://192.168.1.10:8080/hook', /is a private address/],
  ['http://100.64.0.1/hook', /is a carrier-grade NAT \(shared\) address/],
  ['http://[fd00::1]/hook', /is a unique-local \(private\) address/],
  ['http://[fc00::5]/hook', /is a unique-local \(private\) address/],
  ['http://0.0.0.0/hook', /is the unspecified address/],
  ['http://0/hook', /is the unspecified address/],
  ['http://[::]/hook', /is the unspecified address/],
  ['http://224.0.0.1/hook', /is a multicast address/],
  ['http://[ff02::1]/hook', /is a multicast address/],
  ['http://255.255.255.255/hook', /is the broadcast address/],
  ['http://240.0.0.1/hook', /is a reserved address/],
  ['http://[::ffff:127.0.0.1]/hook', /an IPv4-mapped form of 127\.0\.0\.1, a loopback address/],
  ['http://[::ffff:a9fe:a9fe]/hook', /an IPv4-mapped form of 169\.254\.169\.254, a link-local address/],
  ['http://localhost:8080/hook', /^localhost is a loopback host name/],
  ['http://LOCALHOST./hook', /^localhost is a loopback host name/],
  ['http://api.localhost/hook', /^api\.localhost is a loopback host name/],
  ['http://metadata.google.internal/computeMetadata/v1/', /^metadata\.google\.internal is an internal host name \(\*\.internal\)/],
  ['http://crm.corp.internal./hook', /^crm\.corp\.internal is an internal host name \(\*\.internal\)/],
  ['http://printer.local/hook', /^printer\.local is an internal host name \(\*\.local\)/],
  ['http://CRM.LocalDomain/hook', /^crm\.localdomain is an internal host name \(\*\.localdomain\)/],
  ['http://nas.home.arpa/hook', /^nas\.home\.arpa is an internal host name \(\*\.home\.arpa\)/],
  ['http://crm.default.svc:8080/hook', /^crm\.default\.svc is an internal host name \(\*\.svc\)/],
  ['http://crm.default.svc.cluster.local/hook', /^crm\.default\.svc\.cluster\.local is an internal host name \(\*\.cluster\.local\)/],
  ['http://router.lan/hook', /^router\.lan is an internal host name \(\*\.lan\)/],
  ['http://home.arpa/hook', /^home\.arpa is an internal host name \(\*\.home\.arpa\)/],
  ['http://intranet/hook', /^"intranet" is a single-label host name/],
  ['http://crm-internal:8080/hook', /^"crm-internal" is a single-label host name/],
  // Empty labels: any number of trailing dots, a leading dot, dots in a row, in any spelling of
  // a dot the URL parser turns into one (%2E, the ideographic full stop).
  ['http://localhost../', /^localhost is a loopback host name/],
  ['http://localhost.../hook', /^localhost is a loopback host name/],
  ['http://localhost%2E%2E/hook', /^localhost is a loopback host name/],
  ['http://localhost\u3002\u3002/hook', /^localhost is a loopback host name/],
  ['http://.localhost/hook', /^localhost is a loopback host name/],
  ['http://api..localhost../hook', /^api\.localhost is a loopback host name/],
  ['http://metadata.google.internal../computeMetadata/v1/', /^metadata\.google\.internal is an internal host name \(\*\.internal\)/],
  ['http://metadata.google.internal.....:80/computeMetadata/v1/', /^metadata\.google\.internal is an internal host name \(\*\.internal\)/],
  ['http://metadata..google..internal/computeMetadata/v1/', /^metadata\.google\.internal is an internal host name \(\*\.internal\)/],
  ['http://crm.default.svc.cluster.local../hook', /^crm\.default\.svc\.cluster\.local is an internal host name \(\*\.cluster\.local\)/],
  ['http://printer.local../hook', /^printer\.local is an internal host name \(\*\.local\)/],
  ['http://intranet../hook', /^"intranet" is a single-label host name/],
  ['http://.intranet./hook', /^"intranet" is a single-label host name/],
  ['http://127.0.0.1../hook', /^127\.0\.0\.1 is a loopback address/],
  ['http://0x7f.1../hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://2130706433../hook', /^the host \(read as 127\.0\.0\.1\) is a loopback address/],
  ['http://169.254.169.254../latest/meta-data/', /is a link-local address \(the cloud metadata service\)/],
  ['http://../hook', /^the host name is empty/],
  ['http://999.999../hook', /^999\.999\.\. is not a valid host name/],
  ['ftp://crm.example/hook', /^must be an http\(s\) URL/],
  ['not a url', /^must be an http\(s\) URL/],
];

/**
 * A refusal's pattern behind a prefix (the field's name), still anchored where it was.
 *
 * @example
 * expect(message).toMatch(refusalAfter('url: ', /is a private address/));
 */
export const refusalAfter = (prefix: string, why: RegExp) =>
  new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${why.source.startsWith('^') ? why.source.slice(1) : `.*${why.source}`}`, 'm');
