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
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  if (!(burst >= 1) || !(perMinute > 0)) throw new RangeError('burst must be >= 1 and perMinute > 0');
  const msPerToken = 60_000 / perMinute;
  const buckets = new Map<string, { tokens: number; at: number }>();

  function refill(b: { tokens: number; at: number }, t: number): void {
    b.tokens = Math.min(burst, b.tokens + (t - b.at) / msPerToken);
    b.at = t;
  }

  function sweep(t: number): void {
    for (const [k, b] of buckets) {
      refill(b, t);
      if (b.tokens >= burst) buckets.delete(k);
    }
    // Still too many active clients: drop the oldest entries (Map keeps insertion order).
    for (const k of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(k);
    }
  }

  return {
    get size() {
      return buckets.size;
    },
    take(client: string): RateDecision {
      const t = now();
      let b = buckets.get(client);
      if (b === undefined) {
        if (buckets.size >= maxClients) sweep(t);
        b = { tokens: burst, at: t };
        buckets.set(client, b);
      } else {
        refill(b, t);
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - b.tokens) * msPerToken) / 1000)) };
    },
  };
}
