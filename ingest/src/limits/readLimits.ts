/** What protects the public endpoint and the server from one client, read from the environment. */
export interface Limits {
  /** Requests a minute one client address may send to `/v1/collect`; 0 turns limiting off. */
  perAddressPerMinute: number;
  /**
   * Events a minute one client address may send to `/v1/collect` (each request carries up to
   * 500), and, counted apart, messages it may send to the Segment-compatible routes with the
   * public site key; 0 turns it off. Off by default too when `LEADBEAM_RATE_LIMIT=0`.
   */
  eventsPerAddressPerMinute: number;
  /** Requests a minute all clients together may send for one site; 0 turns it off. */
  perSitePerMinute: number;
  /** Requests a minute one client address may send to the Segment-compatible routes; 0: off. */
  segmentPerAddressPerMinute: number;
  /** Requests a minute all senders together may send there with one key (site key or API key); 0: off. */
  segmentPerKeyPerMinute: number;
  /**
   * Proxies (CIDR, or `loopback`, `linklocal`, `uniquelocal`) whose `X-Forwarded-For` is believed.
   * `loopback` unless `LEADBEAM_TRUSTED_PROXIES` says otherwise: a proxy on the same host
   * (nginx, Caddy) then passes on its clients' addresses, as Express's `trust proxy: 'loopback'`.
   */
  trustedProxies: string[];
  /** Open connections the server accepts at once. */
  maxConnections: number;
  /** A request must have sent its headers within this long … */
  headersTimeoutMs: number;
  /** … and its whole body within this long, or its connection is cut. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  // A busy page sends a few beacons a minute; an office behind one address has many browsers.
  perAddressPerMinute: 1200,
  // A script sends a few events a request; 6,000 a minute is 100 a second from one address,
  // far above an office of browsers and far below the 600,000 that 1,200 full batches would be.
  eventsPerAddressPerMinute: 6_000,
  perSitePerMinute: 120_000,
  // A backend sends from one address far more than a browser does: 100 calls a second
  // (Segment's clients batch, so that is thousands of events) …
  segmentPerAddressPerMinute: 6_000,
  // … and one key, shared by every backend that sends with it, 500 a second: the rate Segment
  // asks its own customers to stay under.
  segmentPerKeyPerMinute: 30_000,
  trustedProxies: ['loopback'],
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  // Node checks the timeouts every few seconds (see startIngest): 25 s + 2 s stays within 30.
  requestTimeoutMs: 25_000,
};

const count = (env: Record<string, string | undefined>, name: string, fallback: number) => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: "${raw}" is not a whole number (0 turns it off)`);
  return n;
};

/**
 * Reads `LEADBEAM_RATE_LIMIT` (requests a minute per client address, 0: off),
 * `LEADBEAM_EVENT_RATE_LIMIT` (events a minute per client address; 0: off, and off unless set
 * when `LEADBEAM_RATE_LIMIT` is 0, so one variable still turns per-address limiting off),
 * `LEADBEAM_SITE_RATE_LIMIT`, `LEADBEAM_SEGMENT_RATE_LIMIT` and `LEADBEAM_SEGMENT_KEY_RATE_LIMIT`
 * (the Segment-compatible routes, per address and per key), `LEADBEAM_TRUSTED_PROXIES` (comma-separated CIDRs) and
 * `LEADBEAM_MAX_CONNECTIONS`, `LEADBEAM_HEADERS_TIMEOUT_MS` and `LEADBEAM_REQUEST_TIMEOUT_MS`
 * (the whole request, body included); anything unset keeps its default. `LEADBEAM_TRUSTED_PROXIES`
 * unset trusts loopback; set, even empty, it replaces that.
 *
 * @example
 * readLimits({ LEADBEAM_RATE_LIMIT: '600', LEADBEAM_TRUSTED_PROXIES: '10.0.0.0/8' })
 */
export function readLimits(env: Record<string, string | undefined>): Limits {
  const perAddressPerMinute = count(env, 'LEADBEAM_RATE_LIMIT', DEFAULT_LIMITS.perAddressPerMinute);
  const proxies = env.LEADBEAM_TRUSTED_PROXIES;
  return {
    ...DEFAULT_LIMITS,
    perAddressPerMinute,
    eventsPerAddressPerMinute: count(env, 'LEADBEAM_EVENT_RATE_LIMIT', perAddressPerMinute ? DEFAULT_LIMITS.eventsPerAddressPerMinute : 0),
    perSitePerMinute: count(env, 'LEADBEAM_SITE_RATE_LIMIT', DEFAULT_LIMITS.perSitePerMinute),
    segmentPerAddressPerMinute: count(env, 'LEADBEAM_SEGMENT_RATE_LIMIT', DEFAULT_LIMITS.segmentPerAddressPerMinute),
    segmentPerKeyPerMinute: count(env, 'LEADBEAM_SEGMENT_KEY_RATE_LIMIT', DEFAULT_LIMITS.segmentPerKeyPerMinute),
    trustedProxies: proxies === undefined ? DEFAULT_LIMITS.trustedProxies : proxies.split(',').map((s) => s.trim()).filter(Boolean),
    maxConnections: count(env, 'LEADBEAM_MAX_CONNECTIONS', DEFAULT_LIMITS.maxConnections) || DEFAULT_LIMITS.maxConnections,
    headersTimeoutMs: count(env, 'LEADBEAM_HEADERS_TIMEOUT_MS', DEFAULT_LIMITS.headersTimeoutMs) || DEFAULT_LIMITS.headersTimeoutMs,
    requestTimeoutMs: count(env, 'LEADBEAM_REQUEST_TIMEOUT_MS', DEFAULT_LIMITS.requestTimeoutMs) || DEFAULT_LIMITS.requestTimeoutMs,
  };
}
