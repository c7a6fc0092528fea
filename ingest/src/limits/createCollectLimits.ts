import type { MiddlewareHandler } from 'hono';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import { createClientAddress } from './clientAddress.js';
import { rateLimited as tooMany } from './rateLimited.js';
import type { Limits } from './readLimits.js';

const MINUTE = 60_000;

/**
 * Rate limits for `/v1/collect`: per client address (a middleware, before the body is read)
 * and per site (checked once the batch names its site). Counted in this process's memory, so
 * with several processes each allows its share. Answered 429 with `Retry-After`, which the
 * script honours.
 *
 * @example
 * const limits = createCollectLimits(readLimits(process.env));
 * app.post('/', limits.perAddress, handler); // and limits.checkSite('demo') in the handler
 */
export function createCollectLimits(limits: Pick<Limits, 'perAddressPerMinute' | 'perSitePerMinute' | 'trustedProxies'>) {
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
  return {
    perAddress,
    /** Throws a 429 ApiError once the site's share of this minute is used up. */
    async checkSite(site: string) {
      if (!limits.perSitePerMinute) return;
      const { totalHits, resetTime } = await sites.increment(site);
      if (totalHits > limits.perSitePerMinute) throw tooMany(`site "${site}" sent more than ${limits.perSitePerMinute} requests this minute`, resetTime);
    },
  };
}

export type CollectLimits = ReturnType<typeof createCollectLimits>;
