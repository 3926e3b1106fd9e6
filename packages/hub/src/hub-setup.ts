import type { Logger } from 'pino';
import { DEV_ISSUER } from './auth/auth-options.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/principal.js';
import type { Broker } from './broker/broker.js';
import { Presence } from './broker/presence.js';
import { SubscriptionHost } from './broker/subscription-host.js';
import type { SubscriptionInfo } from './broker/subscription-info.js';
import type { SubscriptionRegistry } from './broker/subscription-registry.js';
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HISTORY_SIZE,
  DEFAULT_HUB_URL,
  DEFAULT_RETRY_MS,
  METADATA_PATH,
} from './defaults.js';
import { descriptorHeadroom, streamsAllowedBy } from './descriptor-headroom.js';
import type { Engine } from './engine/engine.js';
import { LocalEngine } from './engine/local-engine.js';
import type { HubContext } from './hub-context.js';
import type { HubOptions } from './hub-options.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { MAX_RATE, MIN_RATE } from './model/rate-bounds.js';
import { CorsPolicy } from './ops/cors.js';
import type { Metrics } from './ops/metrics.js';
import { RateLimiter } from './ops/rate-limiter.js';
import { ReplayGate } from './ops/replay-gate.js';
import { resolvePushConfig } from './push/push-options.js';
import { PushService } from './push/push-service.js';
import type { DebugUiOptions } from './routes/debug-ui.js';
import { compileSelector } from './selector/compile-selector.js';
import type { SelectorLimits } from './selector/selector.js';
import { MemoryStore } from './store/memory-store.js';
import { MemoryPushStore } from './store/push-store.js';
import { Heartbeats } from './stream/heartbeats.js';

/** The trusted issuer of at+jwt tokens (`jwtIssuer`; DEV_ISSUER with `devTokenKey`); none: they are refused. */
export function trustedIssuer(options: HubOptions): string | undefined {
  return options.jwtIssuer ?? (options.devTokenKey !== undefined ? DEV_ISSUER : undefined);
}

/** HubOptions.authenticator, else one built from the keys, issuer and audience. */
export async function authenticatorFor(options: HubOptions): Promise<Authenticator> {
  if (options.authenticator !== undefined) return options.authenticator;
  // Selectors granted by tokens are held to the hub's cost caps, as subscriptions are.
  const { maxSelectorProgramSize, maxSelectorVariableParts } = { ...DEFAULT_LIMITS, ...options.limits };
  return createAuthenticator({
    publisherKeys: options.publisherKeys ?? [],
    subscriberKeys: options.subscriberKeys ?? [],
    ...(options.jwtAlgorithms !== undefined && { algorithms: options.jwtAlgorithms }),
    issuer: trustedIssuer(options),
    ...(options.jwtAudience !== undefined && { audience: options.jwtAudience }),
    hubUrl: options.hubUrl ?? DEFAULT_HUB_URL,
    ...(options.now !== undefined && { clock: options.now }),
    ...(options.tokenCacheSize !== undefined && { tokenCacheSize: options.tokenCacheSize }),
    limits: { maxSelectorProgramSize, maxSelectorVariableParts },
  });
}

/**
 * The limits (DEFAULT_LIMITS and HubOptions.limits) and the file descriptors left: streams never
 * exhaust descriptors, maxSubscribers is lowered so that past it they are answered 503.
 */
export function limitsFor(options: HubOptions): { limits: Limits; headroom: number | undefined } {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const headroom = descriptorHeadroom();
  limits.maxSubscribers = Math.min(limits.maxSubscribers, streamsAllowedBy(headroom));
  return { limits, headroom };
}

/** The debug page's options: on by default in development (no key), off otherwise (HubOptions.debugUi). */
export function debugUiFor(
  options: HubOptions,
  issuer: string | undefined,
  audience: string,
): DebugUiOptions | undefined {
  if (!(options.debugUi ?? isDevelopment(options))) return undefined;
  return { devTokenKey: options.devTokenKey, issuer, audience };
}

/** True when no key is configured for either role: a development hub. */
export function isDevelopment(options: HubOptions): boolean {
  return (options.publisherKeys ?? []).length === 0 && (options.subscriberKeys ?? []).length === 0;
}

/** HubOptions.engine, else a LocalEngine over an in-memory history. */
export function engineFor(options: HubOptions): Engine {
  return (
    options.engine ??
    new LocalEngine(
      new MemoryStore({
        size: options.historySize ?? DEFAULT_HISTORY_SIZE,
        ...(options.historyMaxAgeMs !== undefined && { maxAgeMs: options.historyMaxAgeMs }),
        ...(options.now !== undefined && { now: options.now }),
      }),
    )
  );
}

/** The parts of one hub that the context refers to, made by the Hub itself. */
export interface HubParts {
  readonly options: HubOptions;
  readonly authenticator: Authenticator;
  readonly engine: Engine;
  readonly broker: Broker;
  readonly registry: SubscriptionRegistry;
  readonly metrics: Metrics;
  readonly limits: Limits;
  readonly hubUrl: string;
  readonly logger: Logger;
  readonly shuttingDown: () => boolean;
  readonly announce: (info: SubscriptionInfo) => void;
}

/** Selector bounds from the limits, relative URLs resolved against the hub URL. */
export function selectorLimitsOf(limits: Limits, hubUrl: string): SelectorLimits {
  return {
    maxSelectorLength: limits.maxSelectorLength,
    maxSelectorProgramSize: limits.maxSelectorProgramSize,
    maxSelectorVariableParts: limits.maxSelectorVariableParts,
    hubUrl,
  };
}

/** Web Push (HubOptions.push), or undefined when it is off; presence follows the broker. */
function pushServiceFor(
  options: HubOptions,
  authenticator: Authenticator,
  engine: Engine,
  broker: Broker,
  limits: Limits,
  hubUrl: string,
  logger: Logger,
): PushService | undefined {
  if (options.push === undefined) return undefined;
  const presence = new Presence(engine.openPresence?.());
  broker.observe(presence.observe);
  return new PushService({
    config: resolvePushConfig(options.push, isDevelopment(options)),
    limits,
    store: engine.openPushStore?.() ?? new MemoryPushStore(),
    presence,
    authenticator,
    selectorLimits: selectorLimitsOf(limits, hubUrl),
    anonymous: isAnonymous(options),
    logger,
    now: options.now ?? Date.now,
  });
}

function isAnonymous(options: HubOptions): boolean {
  return options.anonymous ?? (options.subscriberKeys ?? []).length === 0;
}

/**
 * What the request handlers of one hub share (hub-context.ts), from its options and parts, and
 * its Web Push service (undefined when off).
 */
export function createContext(parts: HubParts): { ctx: HubContext; push: PushService | undefined } {
  const { options, limits, hubUrl, logger, broker } = parts;
  const conflate = conflatePolicy(options.conflate, selectorLimitsOf(limits, hubUrl));
  const push = pushServiceFor(options, parts.authenticator, parts.engine, broker, limits, hubUrl, logger);
  const ctx = contextOf(parts, conflate, push);
  return { ctx, push };
}

function contextOf(
  parts: HubParts,
  conflate: HubContext['conflate'],
  push: PushService | undefined,
): HubContext {
  const { options, limits, hubUrl, logger, broker, metrics } = parts;
  const now = options.now ?? Date.now;
  const corsOrigins = options.corsOrigins ?? [];
  const selectorLimits = selectorLimitsOf(limits, hubUrl);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return {
    engine: parts.engine,
    broker,
    registry: parts.registry,
    authenticator: parts.authenticator,
    publisherAuth: (options.publisherKeys ?? []).length > 0,
    anonymous: isAnonymous(options),
    subscriberTokensIgnored:
      options.authenticator === undefined && (options.subscriberKeys ?? []).length === 0,
    limits,
    hubUrl,
    selectorLimits,
    conflate,
    cors: new CorsPolicy(corsOrigins, logger),
    publishOrigins: new CorsPolicy(options.publishOrigins ?? corsOrigins),
    publishLimiter: new RateLimiter(limits.publishRatePerSecond, limits.publishBurst, now),
    tokenPublishLimiter: new RateLimiter(limits.publishTokenRatePerSecond, limits.publishBurst, now),
    metrics,
    replays: new ReplayGate(limits.maxConcurrentReplays, limits.maxQueuedReplays),
    subscriptionHost: new SubscriptionHost({
      broker,
      metrics,
      maxQueueEvents: limits.maxQueueEvents,
      conflate,
      announce: parts.announce,
    }),
    sinkOptions: {
      heartbeats: heartbeatMs > 0 ? new Heartbeats(heartbeatMs) : undefined,
      maxQueueBytes: limits.maxQueueBytes,
      maxQueueEvents: limits.maxQueueEvents,
      writeTimeoutMs: limits.writeTimeoutMs,
    },
    // Named by every Bearer challenge's `resource_metadata` (RFC 9728, Mercure "Error Responses").
    metadataUrl: new URL(METADATA_PATH, hubUrl).href,
    warnedOnce: new Set(),
    logger,
    heartbeatMs,
    retryMs: options.retryMs ?? DEFAULT_RETRY_MS,
    subscriptionsEnabled: options.subscriptions ?? true,
    trustProxy: options.trustProxy ?? false,
    now,
    shuttingDown: parts.shuttingDown,
    published: push === undefined ? undefined : (update) => push.published(update),
    announce: parts.announce,
  };
}

/** HubOptions.conflate, compiled: URL patterns (relative to the hub URL) and a rate in range. */
function conflatePolicy(option: HubOptions['conflate'], limits: SelectorLimits): HubContext['conflate'] {
  if (option === undefined || option.topics.length === 0) return undefined;
  if (!(option.maxRate >= MIN_RATE && option.maxRate <= MAX_RATE)) {
    throw new RangeError(`conflate.maxRate must be from ${MIN_RATE} to ${MAX_RATE} events per second`);
  }
  return {
    selectors: option.topics.map((t) => compileSelector('urlpattern', t, limits)),
    maxRate: option.maxRate,
  };
}
