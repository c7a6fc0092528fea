import type { Context, MiddlewareHandler } from 'hono';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import { createClientAddress } from './clientAddress.js';
import { createWindowCounter } from './createCollectLimits.js';
import { rateLimited } from './rateLimited.js';
import type { Limits } from './readLimits.js';

const MINUTE = 60_000;

/**
 * Rate limits for the Segment-compatible routes (`/v1/batch`, `/v1/track`, …): requests per
 * client address (a middleware, before the body is read or a key looked up), requests per key
 * (checked once the call is authenticated: a site key, the bootstrap key or a named key, each
 * its own budget) and, for calls with the public site key, messages per client address: the
 * events budget `/v1/collect` has (`eventsPerAddressPerMinute`), so a client that holds only
 * the public key stores no more through these routes than through the script's. Their own
 * counters, apart from `/v1/collect`'s, with request defaults for backends rather than
 * browsers. Counted in this process's memory. Answered 429 with `Retry-After`, which Segment's
 * and RudderStack's clients honour by retrying later.
 *
 * @example
 * const limits = createSegmentLimits(readLimits(process.env));
 * app.post('/track', limits.perAddress, handler); // and await limits.checkKey('site:demo'), limits.checkSiteKeyEvents(c, 20) in the handler
 */
export function createSegmentLimits(limits: Pick<Limits, 'segmentPerAddressPerMinute' | 'segmentPerKeyPerMinute' | 'trustedProxies'> & Partial<Pick<Limits, 'eventsPerAddressPerMinute'>>) {
  const { segmentPerAddressPerMinute: perAddress, segmentPerKeyPerMinute: perKey } = limits;
  const eventLimit = limits.eventsPerAddressPerMinute ?? 0;
  const eventsOf = createWindowCounter(MINUTE);
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
    /**
     * Counts a site-key call's messages (a batch's every one, good or bad) against its client
     * address's events budget for this minute; throws a 429 `ApiError`, counting none of them,
     * when they do not fit. Secret-key calls are not counted: their holder is a trusted server
     * (a CRM sync sends many events from one address), bounded by its key's request budget.
     */
    checkSiteKeyEvents(c: Context, messages: number) {
      if (!eventLimit) return;
      const { refused, resetTime } = eventsOf.add(addressOf(c), messages, eventLimit);
      if (refused) throw rateLimited(`more than ${eventLimit} events a minute from one address with a site key; a server that sends more uses an API key with the write scope`, resetTime);
    },
  };
}

export type SegmentLimits = ReturnType<typeof createSegmentLimits>;
