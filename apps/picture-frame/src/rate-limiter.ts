import { RateLimiter as TokenBuckets } from '@tidings/hub';

/**
 * Per-client search rate limit: a token bucket per client key (the remote address). A client
 * may search `burst` times at once, then one more time every 60/perMinute seconds. Buckets
 * that are full again are forgotten, so memory stays bounded by `maxClients`.
 */
export interface RateLimitOptions {
  /** Searches allowed at once. Default 5. */
  readonly burst?: number;
  /** Sustained searches per minute. Default 10. */
  readonly perMinute?: number;
  /** Clients tracked at most; past it the fullest buckets are dropped first. Default 10000. */
  readonly maxClients?: number;
  /** Injected clock, in milliseconds. */
  readonly now?: () => number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  take(client: string): RateDecision;
  /** Clients tracked now (at most `maxClients`): what "memory bounded" is measured by. */
  readonly size: number;
}

export const DEFAULT_SEARCH_BURST = 5;
export const DEFAULT_SEARCHES_PER_MINUTE = 10;

export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const burst = options.burst ?? DEFAULT_SEARCH_BURST;
  const perMinute = options.perMinute ?? DEFAULT_SEARCHES_PER_MINUTE;
  if (!(burst >= 1) || !(perMinute > 0)) throw new RangeError('burst must be >= 1 and perMinute > 0');
  // The hub's token buckets, so the demo and the hub limit clients the same way.
  const buckets = new TokenBuckets(perMinute / 60, burst, options.now, options.maxClients ?? 10_000);
  return {
    get size() {
      return buckets.size;
    },
    take(client: string): RateDecision {
      const wait = buckets.take(client);
      return wait === 0 ? { ok: true } : { ok: false, retryAfterSeconds: wait };
    },
  };
}
