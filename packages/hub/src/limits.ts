/**
 * Every limit the hub enforces: a name, a default, an option (HubOptions.limits and a CLI
 * flag), and the error code answered when it is exceeded (docs/limits.md lists them).
 */
export interface Limits {
  /** Publish body size in bytes (413 body_too_large). */
  maxBodyBytes: number;
  /** Updates in one batch publish (400 too_many_updates; publish/publish-batch.ts). */
  maxBatchUpdates: number;
  /** Topics in one publish (413 too_many_topics: Mercure "Publication"). */
  maxTopicsPerPublish: number;
  /** Selectors in one subscribe (400 too_many_selectors). */
  maxSelectorsPerSubscribe: number;
  /** Length of one topic, in UTF-16 code units (413 field_too_large). */
  maxTopicLength: number;
  /** Length of a selector (400 invalid_selector). */
  maxSelectorLength: number;
  /**
   * RE2 instructions one URL pattern or URI template may compile to, all its regular expressions
   * together: bounds the memory and the per-character cost of a match (400 invalid_selector).
   */
  maxSelectorProgramSize: number;
  /**
   * Ambiguous pieces in one URL pattern (groups, wildcards, optional text, quantifiers in custom
   * regexps) or URI template (variables): bounds the realistic cost of a match (400 invalid_selector).
   */
  maxSelectorVariableParts: number;
  /** Length of a publisher-supplied id (413 field_too_large). */
  maxIdLength: number;
  /** Length of an event type (413 field_too_large). */
  maxTypeLength: number;
  /** Largest `retry` in ms (400 invalid_retry). */
  maxRetryMs: number;
  /** Length of Last-Event-ID, header or query (400 invalid_last_event_id). */
  maxLastEventIdLength: number;
  /** Sustained publishes per second per client (429 publish_rate_limited). 0 disables. */
  publishRatePerSecond: number;
  /** Burst of publishes per client above the rate. */
  publishBurst: number;
  /**
   * Sustained publishes per second per client presenting a publisher token in the Authorization
   * header (a backend; 429 publish_rate_limited). 0, the default, does not throttle them: a
   * trusted backend publishes as fast as it needs. Anonymous and cookie-authenticated publishers
   * (browsers) keep `publishRatePerSecond`.
   */
  publishTokenRatePerSecond: number;
  /** Open subscriber streams per client (429 too_many_subscribers_client). */
  maxSubscribersPerClient: number;
  /** Open subscriber streams in total (503 too_many_subscribers). */
  maxSubscribers: number;
  /**
   * Distinct URL patterns and URI templates subscribed to on this hub at once (503
   * too_many_patterns). Each is evaluated once against every new topic, so this bounds the
   * matching work of a publish whoever subscribes (docs/security.md).
   */
  maxPatterns: number;
  /** Updates one resume may replay; history pages are read `replayPageSize` at a time. */
  maxReplay: number;
  replayPageSize: number;
  /**
   * Resumes replaying history at once; the others wait in FIFO order (ops/replay-gate.ts), so
   * a storm of resumes cannot starve live delivery.
   */
  maxConcurrentReplays: number;
  /** Resumes waiting for a replay slot (503 replay_queue_full past it, with Retry-After). */
  maxQueuedReplays: number;
  /** Per-subscriber queue while the socket is not draining: bytes and events (slow consumer: dropped). */
  maxQueueBytes: number;
  maxQueueEvents: number;
  /** A subscriber whose socket has not drained for this long is dropped (ms). */
  writeTimeoutMs: number;
  /** Longest life of one stream (ms), minus up to `lifetimeJitter` of it at random. 0 disables. */
  maxStreamLifetimeMs: number;
  lifetimeJitter: number;
  /** Longest `wait` of a long poll (ms; 400 invalid_wait past it): transports/poll/. */
  maxPollWaitMs: number;
  /** Events in one poll answer (also at most `maxQueueBytes`); the cursor continues where it stopped. */
  maxPollEvents: number;
  /** Web Push subscriptions kept in total (503 too_many_push_subscriptions; docs/push.md). */
  maxPushSubscriptions: number;
  /** Web Push subscriptions of one subscriber: token `sub`, else presence topic (429 too_many_push_subscriptions_subscriber). */
  maxPushSubscriptionsPerSubscriber: number;
  /** Push messages waiting, retrying or in flight; past it a message is not sent (`tidings_push_failed_total{reason="queue_full"}`). */
  maxPushQueue: number;
  /** Requests to push services in flight at once. */
  pushConcurrency: number;
  /** Deadline of one request to a push service (ms); then it counts as failed and is retried. */
  pushTimeoutMs: number;
  /** Attempts per push message (429, 5xx, timeouts, network errors are retried with backoff). */
  maxPushAttempts: number;
  /** Time to receive all request headers (ms): slowloris. Node answers 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (ms); never applies to a running SSE response. */
  requestTimeoutMs: number;
  /** HTTP/2: streams open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS; more are refused). */
  h2MaxConcurrentStreams: number;
  /** HTTP/2: memory one connection may hold in nghttp2 (bytes); past it new streams are refused. */
  h2MaxSessionMemoryBytes: number;
  /** HTTP/2: size of one request's header list (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113 6.5.2). */
  h2MaxHeaderListBytes: number;
  /**
   * HTTP/2: streams one connection may reset before they are answered, per second (rapid reset,
   * CVE-2023-44487); past it GOAWAY ENHANCE_YOUR_CALM `h2_rapid_reset`. 0 disables.
   */
  h2MaxResetsPerSecond: number;
  /** HTTP/2: SETTINGS frames one connection may send per second (GOAWAY `h2_settings_flood`). 0 disables. */
  h2MaxSettingsPerSecond: number;
  /** HTTP/2: PING frames one connection may send per second (GOAWAY `h2_ping_flood`). 0 disables. */
  h2MaxPingsPerSecond: number;
  /** HTTP/2: a connection with no open stream for this long (ms) is closed with GOAWAY NO_ERROR. 0 disables. */
  h2IdleTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxBatchUpdates: 1000,
  maxTopicsPerPublish: 32,
  maxSelectorsPerSubscribe: 32,
  maxTopicLength: 2048,
  maxSelectorLength: 2048,
  maxSelectorProgramSize: 16_384,
  maxSelectorVariableParts: 32,
  maxIdLength: 1024,
  maxTypeLength: 256,
  maxRetryMs: 24 * 60 * 60 * 1000,
  maxLastEventIdLength: 1024,
  publishRatePerSecond: 100,
  publishBurst: 200,
  publishTokenRatePerSecond: 0,
  maxSubscribersPerClient: 1000,
  maxSubscribers: 50_000,
  maxPatterns: 256,
  maxReplay: 100_000,
  replayPageSize: 500,
  maxConcurrentReplays: 32,
  maxQueuedReplays: 10_000,
  maxQueueBytes: 4 * 1024 * 1024,
  maxQueueEvents: 10_000,
  writeTimeoutMs: 30_000,
  maxStreamLifetimeMs: 0,
  lifetimeJitter: 0.1,
  maxPollWaitMs: 30_000,
  maxPollEvents: 1000,
  maxPushSubscriptions: 100_000,
  maxPushSubscriptionsPerSubscriber: 16,
  maxPushQueue: 10_000,
  pushConcurrency: 16,
  pushTimeoutMs: 10_000,
  maxPushAttempts: 4,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  h2MaxConcurrentStreams: 100,
  h2MaxSessionMemoryBytes: 10 * 1024 * 1024,
  h2MaxHeaderListBytes: 16 * 1024,
  h2MaxResetsPerSecond: 100,
  h2MaxSettingsPerSecond: 10,
  h2MaxPingsPerSecond: 10,
  h2IdleTimeoutMs: 60_000,
});
