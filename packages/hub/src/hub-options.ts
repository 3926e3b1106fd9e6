import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/principal.js';
import type { Engine } from './engine/engine.js';
import type { Limits } from './limits.js';
import type { PushOptions } from './push/push-options.js';
import type { TlsCredentials } from './transports/http2/tls-front.js';
import type { WebSocketOptions } from './transports/websocket/websocket-options.js';

export interface HubOptions {
  /** Where updates go and history lives. Default: a LocalEngine over an in-memory history of `historySize`. */
  engine?: Engine;
  /** Size of the default in-memory history. Default DEFAULT_HISTORY_SIZE (1000, defaults.ts). */
  historySize?: number;
  /** Age limit of the default in-memory history (ms); older updates are not replayed. Default: none. */
  historyMaxAgeMs?: number;
  /** The hub's public URL: relative topics and URL patterns resolve against it. Default http://localhost/.well-known/mercure. */
  hubUrl?: string;
  /** Key specs (HMAC secret, PEM, PEM file, JWKS file) for publisher tokens. None: publishing needs no token (development only). */
  publisherKeys?: readonly string[];
  /** Key specs for subscriber tokens. */
  subscriberKeys?: readonly string[];
  /** JWT algorithm allowlist. */
  jwtAlgorithms?: readonly string[];
  /** The trusted issuer: the `iss` at+jwt tokens must carry. Unset: at+jwt tokens are refused (0.x tokens still work). */
  jwtIssuer?: string;
  /** The resource identifier at+jwt tokens must carry in `aud`; default the hub URL. */
  jwtAudience?: string;
  /** Verified tokens cached per role until their `exp` (auth/verified-token-cache.ts). Default 1024; 0 disables. */
  tokenCacheSize?: number;
  /** Let subscribers in without a token (public updates only). Default: true when no subscriber key is set. */
  anonymous?: boolean;
  /** Origins allowed by CORS (with credentials); `*` allows any origin without credentials. */
  corsOrigins?: readonly string[];
  /** Origins allowed to publish with cookie credentials (CSRF). Default: corsOrigins. */
  publishOrigins?: readonly string[];
  /** Comment heartbeat after this much silence (ms). Default 15000; 0 disables. */
  heartbeatMs?: number;
  /** `retry` sent at the start of each stream (ms), plus up to 50% random jitter. Default 2000. */
  retryMs?: number;
  /** Active Subscriptions: subscription events and the JSON listing. Default true. */
  subscriptions?: boolean;
  /**
   * Topics conflated for everyone, by URL pattern (or `*`): a subscriber delivered an update on one
   * of them gets at most `maxRate` events per second from then on, the latest per topic
   * (broker/conflation.ts). A subscriber that asked for its own `maxRate` keeps it. Default: none.
   */
  conflate?: { topics: readonly string[]; maxRate: number };
  /**
   * Serve TLS on the hub's port (PEM certificate chain and key): HTTP/2 and HTTP/1.1 on the same
   * port, chosen by ALPN. Without it the port is cleartext: HTTP/1.1, and HTTP/2 with prior
   * knowledge (h2c), as reverse proxies speak to a backend. `Hub.setTlsCredentials` renews them.
   */
  tls?: TlsCredentials;
  /** Subscriptions over WebSocket on the hub URL: on by default; compression and publishing are options (docs/transports.md). */
  websocket?: WebSocketOptions;
  /**
   * Web Push to subscribers without a live stream (docs/push.md): registrations at
   * /.well-known/mercure/push, kept in the engine's store. Default: off.
   */
  push?: PushOptions;
  /** Limits; see limits.ts for names and defaults. */
  limits?: Partial<Limits>;
  /** Use the first X-Forwarded-For address as the client key (only behind a trusted proxy). Default false. */
  trustProxy?: boolean;
  logger?: Logger;
  /** Handles requests outside the hub's own paths (an app served by the same server). Default: 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The debug page at /.well-known/mercure/ui/. Default: on in development mode (no key at all), off otherwise. */
  debugUi?: boolean;
  /** HMAC secret given on the command line: the debug page makes development tokens with it. */
  devTokenKey?: string;
  /** Seams for tests. */
  authenticator?: Authenticator;
  now?: () => number;
}

/** A request as node:http, node:https or node:http2's compatibility API hand it to a listener. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** Express-style `next`: called for requests outside the hub's paths. */
export type NextFunction = (err?: unknown) => void;
/** What an in-process subscription selects: one topic, several, or a subscribe query (both dialects). */
export type SubscribeSelectors = string | readonly string[] | URLSearchParams;
