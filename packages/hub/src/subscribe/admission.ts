import { bearerChallenge } from '../auth/bearer-challenge.js';
import type { Principal } from '../auth/principal.js';
import { HubError } from '../errors.js';
import { ignoredTokenHeaders } from '../http/ignored-token.js';
import { redactUrl } from '../http/redact-url.js';
import type { HubContext } from '../hub-context.js';
import { clientKey } from '../ops/client-key.js';
import { jitteredRetryAfter } from '../ops/retry-after.js';
import type { Selector } from '../selector/selector.js';
import { compileSelectors, isPattern, type SelectorRequest } from './selectors-from-query.js';
import { readSubscribeAsk, type SubscribeRequest } from './subscribe-request.js';

/** An admitted subscribe: what it asked for, who asked, and its place against the caps. */
export interface Admission {
  readonly selectors: readonly Selector[];
  /** `maxRate` (events per second): the lower of the one asked for and the token's cap, if any. */
  readonly maxRate: number | undefined;
  readonly lastEventId: string | undefined;
  readonly principal: Principal | undefined;
  /** Who the per-client cap counts it against (ops/client-key.ts). */
  readonly key: string;
  /** Gives back the place this subscribe holds against the subscriber caps (`Broker.reserve`); idempotent. */
  readonly release: () => void;
  /** The request target with tokens redacted, for the debug log. */
  readonly target: string;
  /** Metadata for the transport's answer (a development hub's Tidings-Token-Ignored). */
  readonly headers: Record<string, string>;
}

/**
 * Validation, authentication and limits: throws the HubError to answer, writes nothing. Cheap
 * checks and the token come before compiling patterns (issue 10: a refused request must not cost
 * their compilation); the subscribe then holds a place against the caps until it is registered
 * or gone: the caller must call `release()` either way (`startSubscription` does).
 */
export async function admit(ctx: HubContext, request: SubscribeRequest): Promise<Admission> {
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  const { limits } = ctx;
  const { message: req, url } = request;
  const ask = readSubscribeAsk(request, limits);

  const principal = await ctx.authenticator.authenticate(req, url, 'subscriber');
  const headers = ctx.subscriberTokensIgnored ? ignoredTokenHeaders(ctx, req, url, 'subscriber') : {};
  if (principal === undefined && !ctx.anonymous) {
    throw new HubError('missing_token', 'subscribing needs an access token', {
      'WWW-Authenticate': bearerChallenge(),
    });
  }

  const key = clientKey(req, ctx.trustProxy);
  // Refused streams also give their connection back: it is the scarce resource here.
  if (ctx.broker.admitted >= limits.maxSubscribers) {
    throw new HubError('too_many_subscribers', undefined, {
      'Retry-After': jitteredRetryAfter(),
      Connection: 'close',
    });
  }
  if (ctx.broker.countForClient(key) >= limits.maxSubscribersPerClient) {
    throw new HubError(
      'too_many_subscribers_client',
      `at most ${limits.maxSubscribersPerClient} streams per client`,
      { 'Retry-After': jitteredRetryAfter(), Connection: 'close' },
    );
  }
  checkPatterns(ctx, ask.selectors);
  const selectors = ctx.subscriptionHost.intern(compileSelectors(ask.selectors, ctx.selectorLimits));
  return {
    selectors,
    maxRate: lowest(ask.maxRate, principal?.maxRate),
    lastEventId: ask.lastEventId,
    principal,
    key,
    target: redactUrl(req.url ?? ''),
    headers,
    release: ctx.broker.reserve(key),
  };
}

/**
 * Every distinct pattern is evaluated against every new topic published (broker/topic-index.ts),
 * so their number, hub-wide, is what a publish costs: a subscribe that would take it past
 * `limits.maxPatterns` is refused, before its patterns are compiled. Patterns already subscribed
 * to cost nothing more, whoever asks for them again.
 */
export function checkPatterns(ctx: HubContext, requests: readonly SelectorRequest[]): void {
  let added = 0;
  for (const r of requests) if (isPattern(r) && !ctx.broker.hasPattern(r.type, r.raw)) added++;
  if (added > 0 && ctx.broker.patternCount + added > ctx.limits.maxPatterns) {
    throw new HubError(
      'too_many_patterns',
      `the hub matches at most ${ctx.limits.maxPatterns} distinct URL patterns and URI templates`,
      { 'Retry-After': jitteredRetryAfter(), Connection: 'close' },
    );
  }
}

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
