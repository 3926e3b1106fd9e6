import type { IncomingMessage } from 'node:http';
import { compileSelector } from '../selector/compile-selector.js';
import type { SelectorLimits } from '../selector/selector.js';
import {
  type AuthLimits,
  type AuthOptions,
  DEFAULT_ALGORITHMS,
  DEFAULT_AUTH_LIMITS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_COOKIE_NAMES,
} from './auth-options.js';
import { type ClaimsContext, principalFromClaims } from './claims.js';
import { AuthConfigError, checkAlgorithms, loadKeySet } from './key-set.js';
import type { Authenticator, Principal, Role, TokenSource } from './principal.js';
import { findToken, type TokenSourceOptions } from './token-source.js';
import { DEFAULT_TOKEN_CACHE_SIZE, VerifiedTokenCache } from './verified-token-cache.js';
import { type VerifyContext, verifyToken } from './verify-token.js';

/** The Authenticator contract, plus what the HTTP layer needs to know about the configuration. */
export interface HubAuthenticator extends Authenticator {
  /**
   * True when no publisher key is configured (dev mode): publishing needs no token.
   * `authenticate(..., 'publisher')` then verifies nothing and resolves a principal that may
   * publish on `*`, whose `source` is the presented mechanism (so cookie-borne requests
   * still get the HTTP layer's Origin check) or `header` when nothing was presented.
   */
  readonly openPublishing: boolean;
  /**
   * False when no subscriber key is configured (development): subscribers are anonymous, and a
   * subscriber token is not verified: `authenticate(..., 'subscriber')` resolves undefined, as
   * if none had been sent (the HTTP layer says so in the log and a response header).
   */
  readonly acceptsSubscriberTokens: boolean;
  /** Forgets every verified token (verified-token-cache.ts): for whatever changes keys in place. */
  clearTokenCache(): void;
}

/**
 * Builds the authenticator of a hub: loads and checks every key up front (a bad key is an
 * AuthConfigError at startup, never a surprise on the first request).
 */
export async function createAuthenticator(options: AuthOptions): Promise<HubAuthenticator> {
  const algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS);
  const publisherKeys = await loadKeySet(options.publisherKeys, algorithms, 'publisher');
  const subscriberKeys = await loadKeySet(options.subscriberKeys, algorithms, 'subscriber');
  const limits = checkLimits({ ...DEFAULT_AUTH_LIMITS, ...options.limits });
  const clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    throw new AuthConfigError('auth: clockToleranceSeconds must be a non-negative number');
  }
  try {
    new URL(options.hubUrl);
  } catch {
    throw new AuthConfigError('auth: hubUrl is not an absolute URL');
  }

  const selectorLimits: SelectorLimits = {
    maxSelectorLength: limits.maxSelectorLength,
    maxSelectorProgramSize: limits.maxSelectorProgramSize,
    maxSelectorVariableParts: limits.maxSelectorVariableParts,
    hubUrl: options.hubUrl,
  };
  const sources: TokenSourceOptions = {
    cookieNames: options.cookieNames ?? DEFAULT_COOKIE_NAMES,
    allowQueryToken: options.allowQueryToken ?? true,
  };
  const claims: ClaimsContext = {
    issuer: options.issuer,
    audience: options.audience ?? options.hubUrl,
    audienceConfigured: options.audience !== undefined,
    limits,
    selectorLimits,
  };
  const verify = (keys: VerifyContext['keys']): VerifyContext => ({
    keys,
    algorithms: new Set(algorithms),
    now: options.clock ?? Date.now,
    clockToleranceSeconds,
    maxTokenLength: limits.maxTokenLength,
  });
  const contexts: Record<Role, VerifyContext> = {
    publisher: verify(publisherKeys),
    subscriber: verify(subscriberKeys),
  };
  // One cache per key set: a token verified for one role is never taken as verified for the other.
  const cacheSize = options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new AuthConfigError('auth: tokenCacheSize must be a non-negative integer');
  }
  const clock = options.clock ?? Date.now;
  const caches: Record<Role, VerifiedTokenCache> = {
    publisher: new VerifiedTokenCache(cacheSize, clock),
    subscriber: new VerifiedTokenCache(cacheSize, clock),
  };

  return {
    openPublishing: publisherKeys.length === 0,
    acceptsSubscriberTokens: subscriberKeys.length > 0,
    async authenticate(req: IncomingMessage, url: URL, role: Role): Promise<Principal | undefined> {
      const ctx = contexts[role];
      if (role === 'publisher' && ctx.keys.length === 0)
        return openPublisher(req, url, sources, selectorLimits);
      if (ctx.keys.length === 0) return undefined;
      const presented = findToken(req.headers, url, sources);
      if (presented === undefined) return undefined;
      // Keys are chosen by the endpoint's role, never by the token (Mercure "Token Validation").
      const cache = caches[role];
      const cached = cache.get(presented.token);
      if (cached !== undefined) return { ...cached, source: presented.source };
      const { payload, protectedHeader } = await verifyToken(presented.token, ctx);
      const principal = principalFromClaims(payload, protectedHeader, presented.source, claims);
      const { source: _source, ...rights } = principal;
      cache.set(presented.token, rights);
      return principal;
    },
    clearTokenCache(): void {
      caches.publisher.clear();
      caches.subscriber.clear();
    },
  };
}

/** Dev mode (no publisher key): anyone may publish anything; tokens are not inspected. */
function openPublisher(
  req: IncomingMessage,
  url: URL,
  sources: TokenSourceOptions,
  selectorLimits: SelectorLimits,
): Principal {
  let source: TokenSource = 'header';
  try {
    source = findToken(req.headers, url, sources)?.source ?? 'header';
  } catch {
    // A malformed credential does not matter when none is needed.
  }
  return { publish: [compileSelector('exact', '*', selectorLimits)], subscribe: [], payloads: [], source };
}

function checkLimits(limits: AuthLimits): AuthLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new AuthConfigError(`auth: limit ${name} must be a positive integer`);
    }
  }
  return limits;
}
