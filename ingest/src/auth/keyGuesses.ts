import type { Context } from 'hono';
import { ApiError } from '../http/apiError.js';
import { createClientAddress } from '../limits/clientAddress.js';
import { DEFAULT_LIMITS } from '../limits/readLimits.js';

/** Wrong keys one client address may present within a window before key checks are refused. */
export const MAX_FAILED_KEY_CHECKS = 20;
/** How long that window lasts, from the address's first wrong key. */
export const FAILED_KEY_WINDOW_MS = 60_000;

export interface KeyGuessOptions {
  /**
   * Proxies whose `X-Forwarded-For` is believed: the app's own `limits.trustedProxies`, as for its
   * other per-address limits (`createApp` passes them; default: loopback, as `DEFAULT_LIMITS`).
   * Never read from the environment here: the server reads `LEADBEAM_TRUSTED_PROXIES` once, in
   * `readLimits`, and hands the result down.
   */
  trustedProxies?: string[];
  maxFailures?: number;
  windowMs?: number;
  /** The limiter's clock (real time, not the server's test clock: a window must pass). */
  clock?: () => number;
}

/**
 * Makes the limit on guessing secret keys: counts the wrong keys each client address presents
 * (the same address the other limits count: the socket's peer, or what a trusted proxy
 * forwarded; an IPv6 client by its /64) in fixed windows that start at its first wrong key.
 * Once an address has presented `maxFailures` wrong keys, every key it presents, right or
 * wrong, is refused without being checked until its window passes, so the answers tell it
 * nothing more. Other addresses are never affected. Counted in this process's memory; expired
 * windows are swept once a window. One limit is shared by every place that checks a secret key
 * (`createApp` makes it and hands it to `requireKey`, the dashboard's sign-in form and the
 * Segment-compatible routes), so a guesser's wrong keys count together wherever it sends them.
 *
 * @example
 * const guesses = createKeyGuessLimit({ trustedProxies: limits.trustedProxies });
 * const wait = guesses.blockedFor(c); // seconds; 0: check the key
 * if (!(await verifyKey(key))) guesses.failed(c);
 */
export function createKeyGuessLimit({ trustedProxies = DEFAULT_LIMITS.trustedProxies, maxFailures = MAX_FAILED_KEY_CHECKS, windowMs = FAILED_KEY_WINDOW_MS, clock = Date.now }: KeyGuessOptions = {}) {
  const addressOf = createClientAddress(trustedProxies);
  const windows = new Map<string, { failures: number; resetAt: number }>();
  let sweepAt = clock() + windowMs;
  const windowOf = (address: string, now: number) => {
    if (now >= sweepAt) {
      for (const [a, w] of windows) if (w.resetAt <= now) windows.delete(a);
      sweepAt = now + windowMs;
    }
    const w = windows.get(address);
    return w && w.resetAt > now ? w : undefined;
  };
  return {
    maxFailures,
    windowMs,
    /** Whole seconds (at least 1) until the request's address may present a key again; 0 when it may now. */
    blockedFor(c: Context): number {
      const now = clock();
      const w = windowOf(addressOf(c), now);
      return w && w.failures >= maxFailures ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
    },
    /** Counts a wrong key presented by the request's address. */
    failed(c: Context): void {
      const now = clock();
      const address = addressOf(c);
      const w = windowOf(address, now);
      if (w) w.failures++;
      else windows.set(address, { failures: 1, resetAt: now + windowMs });
    },
  };
}

export type KeyGuessLimit = ReturnType<typeof createKeyGuessLimit>;

/**
 * The limit in words, for the API's message and the sign-in page.
 *
 * @example
 * describeKeyGuessLimit(guesses) // '20 wrong keys within a minute'
 */
export const describeKeyGuessLimit = (limit: Pick<KeyGuessLimit, 'maxFailures' | 'windowMs'>) =>
  `${limit.maxFailures} wrong keys within ${limit.windowMs === 60_000 ? 'a minute' : `${Math.round(limit.windowMs / 1000)} seconds`}`;

/**
 * The API's 429 for an address that has guessed too often: `rate_limited`, naming the
 * authorization, with `Retry-After`.
 *
 * @example
 * const wait = guesses.blockedFor(c);
 * if (wait) throw tooManyKeyGuesses(guesses, wait);
 */
export function tooManyKeyGuesses(limit: Pick<KeyGuessLimit, 'maxFailures' | 'windowMs'>, seconds: number): ApiError {
  return new ApiError(429, 'rate_limited', `authorization: ${describeKeyGuessLimit(limit)} from this address: no key from it is checked until that window passes; retry in ${seconds} s`, {
    field: 'authorization',
    headers: { 'Retry-After': String(seconds) },
  });
}
