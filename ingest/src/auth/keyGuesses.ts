import type { Context } from 'hono';
import { ApiError } from '../http/apiError.js';
import { createClientAddress } from '../limits/clientAddress.js';
import { DEFAULT_LIMITS } from '../limits/readLimits.js';

/** Wrong keys one client address may present within a window before key checks are refused. */
export const MAX_FAILED_KEY_CHECKS = 20;
/** How long that window lasts, from the address's first wrong key. */
export const FAILED_KEY_WINDOW_MS = 60_000;
/** Checks one address may have waiting for its checks in flight to end; more are refused at once (memory stays bounded). */
export const MAX_WAITING_KEY_CHECKS = 200;

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
  maxWaiting?: number;
  /** The limiter's clock (real time, not the server's test clock: a window must pass). */
  clock?: () => number;
}

/**
 * What `check` answers: the key was checked (`found`: what the check found, undefined for a
 * wrong key), or refused unchecked (`wait`: whole seconds, at least 1, until the address may
 * present a key again; `busy` when it was refused for sending too many at once, not for guessing).
 */
export type KeyCheck<T> = { refused: false; found: T | undefined } | { refused: true; wait: number; busy?: true };

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
 * A check takes one of the address's remaining wrong keys before it starts and gives it back
 * only if the key turns out right (or the check throws): checks still in flight count as wrong
 * until they are over. A check that could exceed the limit that way (wrong keys plus checks in
 * flight reach it) waits for one in flight to end, and is then checked or refused. So keys
 * sent all at once are checked at most `maxFailures` times, however long each check waits on the
 * database, and a client sending more right keys at once than that waits its turn behind the
 * checks in flight (one database lookup), refused (`busy`, retry in a second) only once more
 * than `maxWaiting` of its checks wait at the same time, so no client can queue without end.
 *
 * @example
 * const guesses = createKeyGuessLimit({ trustedProxies: limits.trustedProxies });
 * const check = await guesses.check(c, () => verifyKey(key));
 * if (check.refused) throw tooManyKeyGuesses(guesses, check);
 * if (!check.found) throw unauthorized('the key is not valid');
 */
export function createKeyGuessLimit({
  trustedProxies = DEFAULT_LIMITS.trustedProxies,
  maxFailures = MAX_FAILED_KEY_CHECKS,
  windowMs = FAILED_KEY_WINDOW_MS,
  maxWaiting = MAX_WAITING_KEY_CHECKS,
  clock = Date.now,
}: KeyGuessOptions = {}) {
  const addressOf = createClientAddress(trustedProxies);
  /** Per address: wrong keys in the window ending at `resetAt`, checks in flight, checks waiting for one to end. */
  interface Entry {
    failures: number;
    resetAt: number;
    inFlight: number;
    waiting: Array<() => void>;
  }
  const entries = new Map<string, Entry>();
  let sweepAt = clock() + windowMs;
  const entryOf = (address: string, now: number): Entry => {
    if (now >= sweepAt) {
      for (const [a, e] of entries) if (e.resetAt <= now && e.inFlight === 0 && e.waiting.length === 0) entries.delete(a);
      sweepAt = now + windowMs;
    }
    let e = entries.get(address);
    if (!e) entries.set(address, (e = { failures: 0, resetAt: 0, inFlight: 0, waiting: [] }));
    return e;
  };
  const failuresOf = (e: Entry, now: number) => (e.resetAt > now ? e.failures : 0);
  /**
   * After a check: lets waiting checks go (all once the address is refused, each to be answered
   * so; else as many as may now start), and forgets an address with nothing left to remember.
   */
  const settle = (address: string, e: Entry, now: number) => {
    const failures = failuresOf(e, now);
    const free = failures >= maxFailures ? e.waiting.length : maxFailures - failures - e.inFlight;
    for (const go of e.waiting.splice(0, Math.max(0, free))) go();
    if (e.resetAt <= now && e.inFlight === 0 && e.waiting.length === 0 && entries.get(address) === e) entries.delete(address);
  };

  /**
   * The address's entry with one more check taken for the caller (in flight), or the seconds to
   * wait when the address is refused. Waits while the checks in flight could use up what is left.
   */
  const slotFor = async (address: string): Promise<Entry | { wait: number; busy?: true }> => {
    for (;;) {
      const now = clock();
      const e = entryOf(address, now);
      const failures = failuresOf(e, now);
      if (failures >= maxFailures) return { wait: Math.max(1, Math.ceil((e.resetAt - now) / 1000)) };
      if (failures + e.inFlight < maxFailures) {
        // Taken here, in the same turn as the look: nothing may start in between.
        e.inFlight++;
        return e;
      }
      if (e.waiting.length >= maxWaiting) return { wait: 1, busy: true };
      // Every check still in flight may turn out wrong: wait for one to end, then look again.
      await new Promise<void>((go) => e.waiting.push(go));
    }
  };

  return {
    maxFailures,
    windowMs,
    maxWaiting,
    /**
     * Checks a key the request's address presents, under the limit: `verify` is what finds the
     * key's holder (undefined: a wrong key). Refused without calling `verify` once the address
     * has presented too many wrong keys. A wrong key counts unless `countWrong` is false (a key
     * no secret key could be, whose answer tells nothing about one); a right key never counts,
     * and a `verify` that throws counts nothing and throws on.
     */
    async check<T>(c: Context, verify: () => T | undefined | Promise<T | undefined>, { countWrong = true }: { countWrong?: boolean } = {}): Promise<KeyCheck<T>> {
      const address = addressOf(c);
      const e = await slotFor(address);
      if (!('inFlight' in e)) return { refused: true, ...e };
      let found: T | undefined;
      try {
        found = await verify();
      } catch (err) {
        e.inFlight--;
        settle(address, e, clock());
        throw err;
      }
      e.inFlight--;
      const now = clock();
      if (found === undefined && countWrong) {
        if (e.resetAt > now) e.failures++;
        else Object.assign(e, { failures: 1, resetAt: now + windowMs });
      }
      settle(address, e, now);
      return { refused: false, found };
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

/** Why a refused check was refused, in words. */
function describeRefusal(limit: Pick<KeyGuessLimit, 'maxFailures' | 'windowMs' | 'maxWaiting'>, check: { wait: number; busy?: true }): string {
  return check.busy
    ? `more than ${limit.maxWaiting} key checks at once from this address; retry in ${check.wait} s`
    : `${describeKeyGuessLimit(limit)} from this address: no key from it is checked until that window passes; retry in ${check.wait} s`;
}

/**
 * The API's 429 for an address that has guessed too often (or sends too many keys at once):
 * `rate_limited`, naming the authorization, with `Retry-After`.
 *
 * @example
 * const check = await guesses.check(c, () => verifyKey(key));
 * if (check.refused) throw tooManyKeyGuesses(guesses, check);
 */
export function tooManyKeyGuesses(limit: Pick<KeyGuessLimit, 'maxFailures' | 'windowMs' | 'maxWaiting'>, check: { wait: number; busy?: true }): ApiError {
  return new ApiError(429, 'rate_limited', `authorization: ${describeRefusal(limit, check)}`, {
    field: 'authorization',
    headers: { 'Retry-After': String(check.wait) },
  });
}
