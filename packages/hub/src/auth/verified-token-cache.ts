import type { Principal } from './principal.js';

/** A verified token's rights, without the presentation mechanism (that is per request). */
export type CachedPrincipal = Omit<Principal, 'source'>;

/** Tokens without `exp` are cached this long at most, so a token is re-verified now and then anyway. */
export const NO_EXP_TTL_MS = 60_000;

/** Default number of tokens kept per role (`tokenCacheSize`, `--token-cache-size`). */
export const DEFAULT_TOKEN_CACHE_SIZE = 1024;

interface Entry {
  readonly principal: CachedPrincipal;
  /** Milliseconds since the epoch: the entry is unusable from then on. */
  readonly until: number;
}

/**
 * Verified tokens, keyed by the token itself (the exact string: a cached entry is only ever
 * reached by presenting byte for byte the token that was verified, signature included).
 *
 * Why: verifying an HS256 token cost about 120 µs per publish, most of the publish path, while
 * a high-rate publisher presents the same token on every request.
 *
 * Bounds: at most `maxEntries` tokens (the oldest inserted is evicted first), each kept no
 * longer than its `exp` (without the clock tolerance verification allows: past `exp` the token
 * is verified again and that decides) and never longer than NO_EXP_TTL_MS when it has no `exp`.
 * Only successes are cached: an invalid token pays full verification every time, as before.
 * The cache belongs to one key set (one role of one authenticator): keys are fixed for the
 * authenticator's life, so new keys mean a new authenticator and an empty cache; `clear()` is
 * there for anything that changes them in place.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = Math.max(0, Math.floor(maxEntries));
    this.#now = now;
  }

  get(token: string): CachedPrincipal | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.until) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  set(token: string, principal: CachedPrincipal): void {
    if (this.#maxEntries === 0) return;
    const now = this.#now();
    const expMs = principal.expiresAt === undefined ? Infinity : principal.expiresAt * 1000;
    const until = Math.min(expMs, now + NO_EXP_TTL_MS);
    if (until <= now) return;
    this.#entries.delete(token);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(token, { principal, until });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
