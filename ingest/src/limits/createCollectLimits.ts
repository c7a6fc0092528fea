import type { Context, MiddlewareHandler } from 'hono';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import { createClientAddress } from './clientAddress.js';
import { rateLimited as tooMany } from './rateLimited.js';
import type { Limits } from './readLimits.js';

const MINUTE = 60_000;

/**
 * Rate limits for `/v1/collect`: requests per client address (a middleware, before the body is
 * read), requests per site (checked once the batch names its site) and events per client
 * address (checked once the batch is parsed: a request may carry 500). Counted in this
 * process's memory, so with several processes each allows its share. Answered 429 with
 * `Retry-After`, which the script honours.
 *
 * @example
 * const limits = createCollectLimits(readLimits(process.env));
 * app.post('/', limits.perAddress, handler); // and limits.checkSite('demo'), limits.checkEvents(c, 20) in the handler
 */
export function createCollectLimits(limits: Pick<Limits, 'perAddressPerMinute' | 'perSitePerMinute' | 'trustedProxies'> & Partial<Pick<Limits, 'eventsPerAddressPerMinute'>>) {
  const addressOf = createClientAddress(limits.trustedProxies);
  const perAddress: MiddlewareHandler = limits.perAddressPerMinute
    ? rateLimiter({
        windowMs: MINUTE,
        limit: limits.perAddressPerMinute,
        standardHeaders: 'draft-7',
        keyGenerator: addressOf,
        handler: (c) => {
          throw tooMany(`more than ${limits.perAddressPerMinute} requests a minute from one address`, c.get('rateLimit' as never)?.['resetTime']);
        },
      })
    : (_c, next) => next();
  const sites = new MemoryStore();
  sites.init({ windowMs: MINUTE } as never);
  const eventLimit = limits.eventsPerAddressPerMinute ?? 0;
  const eventsOf = createWindowCounter(MINUTE);
  return {
    perAddress,
    /**
     * Counts a batch's events against its client address's budget for this minute; throws a
     * 429 ApiError, counting none of them, when they do not fit.
     */
    checkEvents(c: Context, events: number) {
      if (!eventLimit) return;
      const { refused, resetTime } = eventsOf.add(addressOf(c), events, eventLimit);
      if (refused) throw tooMany(`more than ${eventLimit} events a minute from one address`, resetTime);
    },
    /** Throws a 429 ApiError once the site's share of this minute is used up. */
    async checkSite(site: string) {
      if (!limits.perSitePerMinute) return;
      const { totalHits, resetTime } = await sites.increment(site);
      if (totalHits > limits.perSitePerMinute) throw tooMany(`site "${site}" sent more than ${limits.perSitePerMinute} requests this minute`, resetTime);
    },
  };
}

export type CollectLimits = ReturnType<typeof createCollectLimits>;

/**
 * Counts per key in fixed windows that start at a key's first count; a count that would go past
 * the limit is refused and not added. Expired keys are swept once a window, so memory holds
 * the keys of about one window.
 *
 * @example
 * const counter = createWindowCounter(60_000);
 * counter.add('203.0.113.9', 20, 6000) // { refused: false, resetTime }
 */
export function createWindowCounter(windowMs: number, clock: () => number = Date.now) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let sweepAt = clock() + windowMs;
  return {
    add(key: string, n: number, limit: number): { refused: boolean; resetTime: Date } {
      const now = clock();
      if (now >= sweepAt) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        sweepAt = now + windowMs;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) windows.set(key, (w = { count: 0, resetAt: now + windowMs }));
      const refused = w.count + n > limit;
      if (!refused) w.count += n;
      return { refused, resetTime: new Date(w.resetAt) };
    },
  };
}
