import type { MiddlewareHandler } from 'hono';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import { createClientAddress } from './clientAddress.js';
import { rateLimited } from './rateLimited.js';
import type { Limits } from './readLimits.js';

const MINUTE = 60_000;

/**
 * Rate limits for the Segment-compatible routes (`/v1/batch`, `/v1/track`, …): per client
 * address (a middleware, before the body is read or a key looked up) and per key (checked once
 * the call is authenticated: a site key, the bootstrap key or a named key, each its own budget).
 * Their own counters, apart from `/v1/collect`'s, with defaults for backends rather than
 * browsers. Counted in this process's memory. Answered 429 with `Retry-After`, which Segment's
 * and RudderStack's clients honour by retrying later.
 *
 * @example
 * const limits = createSegmentLimits(readLimits(process.env));
 * app.post('/track', limits.perAddress, handler); // and await limits.checkKey('site:demo') in the handler
 */
export function createSegmentLimits(limits: Pick<Limits, 'segmentPerAddressPerMinute' | 'segmentPerKeyPerMinute' | 'trustedProxies'>) {
  const { segmentPerAddressPerMinute: perAddress, segmentPerKeyPerMinute: perKey } = limits;
  const addressOf = createClientAddress(limits.trustedProxies);
  const perAddressLimit: MiddlewareHandler = perAddress
    ? rateLimiter({
        windowMs: MINUTE,
        limit: perAddress,
        standardHeaders: 'draft-7',
        keyGenerator: addressOf,
        handler: (c) => {
          throw rateLimited(`more than ${perAddress} Segment API requests a minute from one address`, c.get('rateLimit' as never)?.['resetTime']);
        },
      })
    : (_c, next) => next();
  const keys = new MemoryStore();
  keys.init({ windowMs: MINUTE } as never);
  return {
    perAddress: perAddressLimit,
    /**
     * Counts a request against its key's budget; throws a 429 `ApiError` once this minute's is
     * used up. `key` names the key, never holds it (e.g. `site:demo`, `key:crm sync`).
     */
    async checkKey(key: string, label: string) {
      if (!perKey) return;
      const { totalHits, resetTime } = await keys.increment(key);
      if (totalHits > perKey) throw rateLimited(`${label} sent more than ${perKey} Segment API requests this minute`, resetTime);
    },
  };
}

export type SegmentLimits = ReturnType<typeof createSegmentLimits>;
