/**
 * Every error the hub answers with has a stable code. The table below is the single
 * source of truth: the HTTP status, a one-line title, and (for auth errors) the RFC 6750
 * error attribute. docs/errors.md is generated from the same list by test (errors-doc.test.ts).
 */
export const ERROR_CODES = {
  // 400: malformed requests
  bad_request: { status: 400, title: 'The request is malformed' },
  missing_topic: { status: 400, title: 'A publish needs at least one topic' },
  invalid_topic: {
    status: 400,
    title: 'A topic must be valid UTF-8 without control or format (Cf) characters',
  },
  too_many_topics: { status: 413, title: 'More topics than the limit allows' },
  reserved_topic: { status: 400, title: 'Topics under /.well-known/mercure are reserved for the hub' },
  wildcard_topic: { status: 400, title: 'The topic * cannot be published to' },
  invalid_id: {
    status: 400,
    title:
      'An id must not contain control or format characters or lone surrogates, be "earliest" or start with "#"',
  },
  invalid_type: {
    status: 400,
    title: 'A type must not contain control or format characters, nor be "mercure"',
  },
  invalid_retry: { status: 400, title: 'retry must be ASCII digits only, at most the configured maximum' },
  invalid_data: { status: 400, title: 'data must be valid UTF-8' },
  invalid_form: { status: 400, title: 'The body is not valid application/x-www-form-urlencoded UTF-8' },
  unsupported_media_type: {
    status: 415,
    title: 'Publish with application/x-www-form-urlencoded (or application/vnd.tidings.batch)',
  },
  empty_batch: { status: 400, title: 'A batch publish holds no update' },
  too_many_updates: { status: 400, title: 'A batch publish holds more updates than the limit allows' },
  missing_selector: { status: 400, title: 'Subscribe with at least one match (or topic) parameter' },
  too_many_selectors: { status: 400, title: 'More selectors than the limit allows' },
  invalid_selector: { status: 400, title: 'A selector is malformed, too long or too costly' },
  unknown_match_parameter: { status: 400, title: 'Unknown match* query parameter' },
  invalid_last_event_id: { status: 400, title: 'Last-Event-ID is too long or malformed' },
  invalid_max_rate: {
    status: 400,
    title: 'maxRate must be one decimal number from 0.1 to 1000 events per second',
  },
  invalid_wait: {
    status: 400,
    title: 'wait must be one number of seconds from 0 to the configured maximum',
  },
  invalid_push_subscription: {
    status: 400,
    title: 'A push registration is malformed: its subscription, endpoint, keys or presence topic',
  },
  header_too_large: { status: 431, title: 'Request headers are too large' },
  http_version_not_supported: { status: 505, title: 'Only HTTP/1.1 and HTTP/1.0 are spoken' },
  duplicate_id: { status: 409, title: 'An update with this id is already in history' },
  // 400 / 401 / 403: RFC 6750
  invalid_request: {
    status: 400,
    title: 'The access token is presented in a way the hub does not accept',
    rfc6750: 'invalid_request',
  },
  missing_token: { status: 401, title: 'An access token is required', rfc6750: '' },
  invalid_token: { status: 401, title: 'The access token is invalid or expired', rfc6750: 'invalid_token' },
  insufficient_scope: {
    status: 403,
    title: 'The access token does not grant this action on this topic',
    rfc6750: 'insufficient_scope',
  },
  forbidden_origin: { status: 403, title: 'This Origin may not use cookie credentials here' },
  // 404 / 405
  not_found: { status: 404, title: 'No such resource' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this resource' },
  // 408 / 413 / 429
  request_timeout: { status: 408, title: 'The request was not received in time' },
  body_too_large: { status: 413, title: 'The request body is larger than the limit' },
  field_too_large: { status: 413, title: 'A field is longer than the limit' },
  publish_rate_limited: { status: 429, title: 'Too many publishes from this client' },
  too_many_subscribers_client: { status: 429, title: 'Too many open subscriptions from this client' },
  too_many_subscribers: { status: 503, title: 'The hub has reached its maximum number of subscribers' },
  too_many_patterns: {
    status: 503,
    title: 'The hub matches as many distinct URL patterns and URI templates as it may; retry',
  },
  too_many_push_subscriptions_subscriber: {
    status: 429,
    title: 'This subscriber has as many push subscriptions as the limit allows',
  },
  too_many_push_subscriptions: {
    status: 503,
    title: 'The hub keeps as many push subscriptions as it may',
  },
  replay_queue_full: { status: 503, title: 'Too many resumes are waiting to replay history; retry' },
  // 5xx: never a stack trace
  not_ready: { status: 503, title: 'The hub cannot accept this right now; retry' },
  store_unavailable: { status: 503, title: 'The history store is unavailable; nothing was published' },
  shutting_down: { status: 503, title: 'The hub is shutting down' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string; rfc6750?: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A typed error that the HTTP layer turns into an RFC 9457 problem with a stable code. */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers (Retry-After, WWW-Authenticate...). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: string, headers: Record<string, string> = {}) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'HubError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.headers = headers;
  }
}

export function isHubError(err: unknown): err is HubError {
  return err instanceof HubError;
}

/**
 * Why the hub ended an HTTP/2 connection with GOAWAY ENHANCE_YOUR_CALM (RFC 9113 5.4.1, 6.8):
 * the stable code sent as the GOAWAY's debug data, and counted in
 * `tidings_h2_goaways_total{reason}`. docs/errors.md lists them.
 */
export const H2_GOAWAY_CODES = {
  h2_rapid_reset: 'More streams reset by the client than h2MaxResetsPerSecond',
  h2_settings_flood: 'More SETTINGS frames than h2MaxSettingsPerSecond',
  h2_ping_flood: 'More PING frames than h2MaxPingsPerSecond',
} as const;

export type H2GoawayCode = keyof typeof H2_GOAWAY_CODES;
