import type { Logger } from 'pino';
import type { Authenticator } from './auth/principal.js';
import type { Broker } from './broker/broker.js';
import type { SubscriptionHost } from './broker/subscription-host.js';
import type { SubscriptionInfo } from './broker/subscription-info.js';
import type { SubscriptionRegistry } from './broker/subscription-registry.js';
import type { Engine } from './engine/engine.js';
import type { Limits } from './limits.js';
import type { Update } from './model/update.js';
import type { CorsPolicy } from './ops/cors.js';
import type { Metrics } from './ops/metrics.js';
import type { RateLimiter } from './ops/rate-limiter.js';
import type { ReplayGate } from './ops/replay-gate.js';
import type { Selector, SelectorLimits } from './selector/selector.js';
import type { FlowControlOptions } from './stream/flow-controlled-sink.js';

/** What the request handlers share: one per hub. */
export interface HubContext {
  readonly engine: Engine;
  readonly broker: Broker;
  readonly registry: SubscriptionRegistry;
  readonly authenticator: Authenticator;
  /** False when no publisher key is configured: publishing needs no token (development). */
  readonly publisherAuth: boolean;
  readonly anonymous: boolean;
  /**
   * True when the hub built its own authenticator with no subscriber key (development): a token
   * sent by a subscriber is not verified, the request is served as anonymous, and the log and
   * the answer's `Tidings-Token-Ignored` header say so (http/ignored-token.ts).
   */
  readonly subscriberTokensIgnored: boolean;
  readonly limits: Readonly<Limits>;
  readonly hubUrl: string;
  readonly selectorLimits: SelectorLimits;
  /** Topics conflated for everyone (HubOptions.conflate), compiled. */
  readonly conflate: { readonly selectors: readonly Selector[]; readonly maxRate: number } | undefined;
  readonly cors: CorsPolicy;
  readonly publishOrigins: CorsPolicy;
  /** Anonymous and cookie-authenticated publishers (limits.publishRatePerSecond). */
  readonly publishLimiter: RateLimiter;
  /** Publishers with a token in the Authorization header (limits.publishTokenRatePerSecond). */
  readonly tokenPublishLimiter: RateLimiter;
  readonly metrics: Metrics;
  /** Admission of resumes to history replay (limits.maxConcurrentReplays, maxQueuedReplays). */
  readonly replays: ReplayGate;
  /** What every subscription shares: interned selectors, rate groups, unregistration (subscribe/). */
  readonly subscriptionHost: SubscriptionHost;
  /** Queue bounds, write timeout and heartbeats of every sink (stream/flow-controlled-sink.ts). */
  readonly sinkOptions: FlowControlOptions;
  /** RFC 9728 metadata URL named by every Bearer challenge (`withResourceMetadata`). */
  readonly metadataUrl: string;
  /** Log messages already written once at warning level (then at debug level): per hub. */
  readonly warnedOnce: Set<string>;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly retryMs: number;
  readonly subscriptionsEnabled: boolean;
  readonly trustProxy: boolean;
  readonly now: () => number;
  readonly shuttingDown: () => boolean;
  /**
   * Called with every update once its publish is acknowledged (Web Push, push/push-service.ts);
   * must return at once. Undefined when push is off.
   */
  readonly published: ((update: Update) => void) | undefined;
  /** Announces a subscription change (subscription event + in-process listeners). */
  announce(info: SubscriptionInfo): void;
}
