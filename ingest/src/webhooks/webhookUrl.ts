import { z } from 'zod';
import { isIpAddress, whyNotPublic } from './publicAddress.js';

export interface WebhookUrlOptions {
  /** Accept loopback, private and internal targets (local development: `LEADBEAM_ALLOW_PRIVATE_WEBHOOKS`). */
  allowPrivate?: boolean;
}

/**
 * Name suffixes that never name a public host: reserved for private use (`internal`, RFC 8375's
 * `home.arpa`), multicast DNS (`local`), Kubernetes services (`svc`, `cluster.local`), and the
 * names ICANN will never delegate or that networks use for themselves (`localdomain`, `lan`,
 * `corp`, `home`, `intranet`). The most specific first, so the refusal names it.
 */
export const INTERNAL_SUFFIXES = ['cluster.local', 'home.arpa', 'internal', 'local', 'localdomain', 'svc', 'lan', 'corp', 'home', 'intranet'];

/**
 * Why a webhook may not be sent to `url`, or `null` when it may: not an http(s) URL, or (unless
 * `allowPrivate`) a host that is a loopback, private or otherwise non-public address in any
 * spelling (`new URL` turns `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` into
 * `127.0.0.1`, so the check sees what a connection would use), `localhost`, a `*.localhost`
 * name, a name under a suffix that only resolves inside a network (`INTERNAL_SUFFIXES`:
 * `*.internal` such as `metadata.google.internal`, `*.local`, `*.svc`, `*.home.arpa`, …), or a
 * single-label name, however many dots it has in a row or at either end (`localhost..`,
 * `.metadata.google.internal..`). Names that resolve to such addresses are refused at
 * delivery, after DNS (see `createCheckedLookup`).
 *
 * @example
 * webhookUrlProblem('http://0x7f000001/hook') // 'the host (read as 127.0.0.1) is a loopback address: webhooks only go to public addresses'
 * webhookUrlProblem('https://crm.example/hook') // null
 */
export function webhookUrlProblem(url: string, { allowPrivate = false }: WebhookUrlOptions = {}): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
  if (allowPrivate) return null;
  const host = checkedHost(parsed.hostname);
  if (host === undefined) return `${parsed.hostname} is not a valid host name`;
  if (!host) return 'the host name is empty: webhooks only go to public hosts';
  if (isIpAddress(host)) {
    const why = whyNotPublic(host);
    if (!why) return null;
    // Say what the URL parser read when the URL spelled it otherwise (`2130706433`, `127.1`).
    const shown = url.toLowerCase().includes(host) ? host : `the host (read as ${host})`;
    return `${shown} is ${why}: webhooks only go to public addresses`;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback host name: webhooks only go to public addresses`;
  // A bare single label (`intranet`) is refused below as such.
  const suffix = INTERNAL_SUFFIXES.find((s) => host.endsWith(`.${s}`) || (host === s && s.includes('.')));
  if (suffix) return `${host} is an internal host name (*.${suffix}), which resolves only inside a network: webhooks only go to public hosts`;
  if (!host.includes('.')) return `"${host}" is a single-label host name, which resolves only inside a network: use a public, fully qualified name`;
  return null;
}

/**
 * The host the name checks look at: an IPv6 address without its brackets, or a name without
 * empty labels, read again by the URL parser. One trailing dot is the same name, fully
 * qualified (`localhost.` is `localhost`); more (`localhost..`), a leading dot or dots in a row
 * (`metadata..google.internal`) are no valid name, and a resolver may well drop them, so the
 * check sees the name without them rather than let such a spelling slip past it. Reading it
 * again turns what is left of an address in another spelling (`0x7f.1..`, which the parser
 * took for a name because of its dots) into the address (`127.0.0.1`). Undefined when what is
 * left is no host at all (`999.999..`: too large for an address).
 *
 * @example
 * checkedHost('metadata.google.internal..') // 'metadata.google.internal'
 * checkedHost('0x7f.1..') // '127.0.0.1'
 */
function checkedHost(hostname: string): string | undefined {
  if (hostname.startsWith('[')) return hostname.slice(1, -1);
  const name = hostname.split('.').filter(Boolean).join('.');
  if (name === hostname || !name) return name;
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * A zod string that must pass `webhookUrlProblem`; the issue's message says why not.
 *
 * @example
 * const schema = z.object({ url: webhookUrlSchema({ allowPrivate: false }) });
 */
export const webhookUrlSchema = (options: WebhookUrlOptions & { privateHint?: string } = {}) =>
  // Longer is no receiver anyone runs, and every delivery carries it.
  z.string().max(2048, 'at most 2,048 characters').superRefine((url, ctx) => {
    if (url.length > 2048) return;
    const problem = webhookUrlProblem(url, options);
    // A non-public host (not a malformed URL) is what a developer's local receiver looks like.
    const hint = options.privateHint && !webhookUrlProblem(url, { allowPrivate: true }) ? ` (${options.privateHint})` : '';
    if (problem) ctx.addIssue({ code: 'custom', message: problem + hint });
  });
