import type { CloseReason } from '../../stream/sink.js';

/** HubOptions.websocket: subscriptions over WebSocket (docs/transports.md). */
export interface WebSocketOptions {
  /** Serve `Upgrade: websocket` on the hub URL. Default true. */
  readonly enabled?: boolean;
  /**
   * Negotiate permessage-deflate (RFC 7692) when the client offers it. Default false: compression
   * costs CPU and memory per connection, and most updates are small.
   */
  readonly perMessageDeflate?: boolean;
  /**
   * Accept publishes over the socket: each text message is a publish body, validated and
   * authorized exactly as a `POST` (docs/transports.md "Publishing over a WebSocket"). Default false.
   */
  readonly publish?: boolean;
}

/**
 * The close code of each way a subscription ends (RFC 6455 7.4: 1000-2999 are the protocol's,
 * 4000-4999 are for applications). The close frame's reason is the `CloseReason` itself.
 * `slow_consumer`, `write_timeout` and `error` destroy the connection instead (its socket cannot
 * drain, as an SSE stream's is destroyed), so a client sees 1006 there: their codes are for logs
 * and for a client that happens to read the frame. docs/transports.md lists them all.
 */
export const CLOSE_CODES: Readonly<Record<Exclude<CloseReason, 'client'>, number>> = Object.freeze({
  // 1001 "going away": the server is going down (RFC 6455 7.4.1). Reconnect and resume.
  shutdown: 1001,
  // 1011: the server met a condition it did not expect (a history read failed mid-replay).
  error: 1011,
  // The stream's maximum lifetime passed (limits.maxStreamLifetimeMs): reconnect and resume.
  lifetime: 4000,
  // The token's `exp` passed (Mercure "Authorization"): reconnect with a fresh token and resume.
  token_expired: 4001,
  slow_consumer: 4002,
  write_timeout: 4003,
});

/** Closes the hub makes itself outside a subscription's end (a message it does not accept). */
export const POLICY_VIOLATION = 1008;
