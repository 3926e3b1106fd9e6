export * from './auth/index.js';
export type { HubSubscription, LocalSubscribeOptions } from './broker/local-subscriptions.js';
export { PRESENCE_ID, PRESENCE_PREFIX, type PresenceBoard } from './broker/presence.js';
export { type SubscriptionInfo, subscriptionTopic } from './broker/subscription-info.js';
export { createLogger, type LogFormat, type LogOutput } from './cli/log-format.js';
export { type CreateEngineOptions, createEngine } from './engine/create-engine.js';
export type { Engine } from './engine/engine.js';
export { LocalEngine } from './engine/local-engine.js';
export {
  ERROR_CODES,
  type ErrorCode,
  H2_GOAWAY_CODES,
  type H2GoawayCode,
  HubError,
  isHubError,
} from './errors.js';
export { redactPassword } from './http/redact-url.js';
export { createHub, Hub } from './hub.js';
export type {
  HubOptions,
  NextFunction,
  NodeRequest,
  NodeResponse,
  SubscribeSelectors,
} from './hub-options.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { toRecord, type Update, type UpdateInit, type UpdateRecord } from './model/update.js';
export { type PublishRequest, validateUpdate } from './model/validate-update.js';
export { addressKey, clientKey } from './ops/client-key.js';
export { RateLimiter } from './ops/rate-limiter.js';
export type { PushOptions, Urgency } from './push/push-options.js';
export { MAX_PUSH_PLAINTEXT, type PushPayload } from './push/push-payload.js';
export type { PushService } from './push/push-service.js';
export { generateVapidKeys, loadOrCreateVapidKeys, type VapidKeys } from './push/vapid-keys.js';
export { compileSelector } from './selector/compile-selector.js';
export type { MatchType, Selector, SelectorLimits } from './selector/selector.js';
export { LmdbStore } from './store/lmdb-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export {
  endpointId,
  exactTopics,
  type PushRecord,
  type PushSubscriptionJson,
  type StoredSelector,
} from './store/push-record.js';
export { boundBroken, MemoryPushStore, type PushBounds, type PushStore } from './store/push-store.js';
export { type HistoryFilter, type HistoryRead, type HistoryStore, withAt } from './store/store.js';
export { type EventFields, encodeComment, encodeEvent } from './stream/encode-event.js';
export { createUpdate, fromRecord } from './stream/update-frame.js';
export { type SelfSigned, selfSignedCredentials, trustAdvice } from './transports/http2/self-signed.js';
export { readTlsFiles } from './transports/http2/tls-files.js';
export type { TlsCredentials } from './transports/http2/tls-front.js';
