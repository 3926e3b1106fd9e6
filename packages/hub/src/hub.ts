import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import { type Logger, pino } from 'pino';
import { DEV_ISSUER } from './auth/auth-options.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/principal.js';
import { Broker } from './broker/broker.js';
import {
  type HubSubscription,
  type LocalSubscribeOptions,
  LocalSubscriptions,
} from './broker/local-subscriptions.js';
import { Presence } from './broker/presence.js';
import { SubscriptionHost } from './broker/subscription-host.js';
import { SUBSCRIPTIONS_PATH, type SubscriptionInfo } from './broker/subscription-info.js';
import { SubscriptionRegistry } from './broker/subscription-registry.js';
import { descriptorHeadroom, streamsAllowedBy } from './descriptor-headroom.js';
import type { Engine } from './engine/engine.js';
import { LocalEngine } from './engine/local-engine.js';
import { publishUnique } from './engine/publish-unique.js';
import { HubError } from './errors.js';
import { settleError } from './http/error-answer.js';
import { fetchExchange } from './http/fetch-exchange.js';
import { writeHead } from './http/header-value.js';
import { rawProblem, sendProblem } from './http/problem.js';
import { serveAsRequest } from './http/upgrade-fallback.js';
import type { HubContext } from './hub-context.js';
import type { HubOptions } from './hub-options.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { MAX_RATE, MIN_RATE } from './model/rate-bounds.js';
import type { Update } from './model/update.js';
import { type PublishRequest, validateUpdate } from './model/validate-update.js';
import { ConnectionWatch } from './ops/connection-watch.js';
import { CorsPolicy } from './ops/cors.js';
import { Metrics } from './ops/metrics.js';
import { RateLimiter } from './ops/rate-limiter.js';
import { ReplayGate } from './ops/replay-gate.js';
import { handlePublish } from './publish/publish-handler.js';
import { handlePush, PUSH_PATH } from './push/push-handler.js';
import { resolvePushConfig } from './push/push-options.js';
import { PushService } from './push/push-service.js';
import { attachToServer } from './routes/attach.js';
import { type DebugUiOptions, debugUiRoute } from './routes/debug-ui.js';
import { protectedResourceMetadata } from './routes/protected-resource-metadata.js';
import { subscribeRaw } from './routes/raw-subscribe.js';
import { StreamIntake } from './routes/stream-intake.js';
import { handleSubscribe } from './routes/subscribe-handler.js';
import { handleSubscriptions } from './routes/subscriptions-handler.js';
import { compileSelector } from './selector/compile-selector.js';
import type { SelectorLimits } from './selector/selector.js';
import { MemoryStore } from './store/memory-store.js';
import { MemoryPushStore } from './store/push-store.js';
import { Heartbeats } from './stream/heartbeats.js';
import { createUpdate } from './stream/update-frame.js';
import { compileSelectors, selectorRequests } from './subscribe/selectors-from-query.js';
import { Http2Transport } from './transports/http2/http2-transport.js';
import type { TlsCredentials } from './transports/http2/tls-front.js';
import { isWebSocketUpgrade, WebSocketTransport } from './transports/websocket/websocket-transport.js';

const HUB_PATH = '/.well-known/mercure';
const DEFAULT_HUB_URL = `http://localhost${HUB_PATH}`;
const METADATA_PATH = `/.well-known/oauth-protected-resource${HUB_PATH}`;

/** A request as node:http, node:https or node:http2's compatibility API hand it to a listener. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** Express-style `next`: called for requests outside the hub's paths. */
export type NextFunction = (err?: unknown) => void;
/** What an in-process subscription selects: one topic, several, or a subscribe query (both dialects). */
export type SubscribeSelectors = string | readonly string[] | URLSearchParams;

/** A Mercure hub: an HTTP server, a broker, an engine. */
export class Hub {
  readonly server: Server;
  readonly engine: Engine;
  readonly logger: Logger;
  /** The resource identifier (RFC 9728): `jwtAudience`, else the hub URL; at+jwt tokens carry it in `aud`. */
  readonly resource: string;
  /** The trusted issuer of at+jwt tokens (`jwtIssuer`; DEV_ISSUER with `devTokenKey`); none: they are refused. */
  readonly issuer: string | undefined;
  readonly #ctx: HubContext;
  readonly #broker = new Broker();
  readonly #registry = new SubscriptionRegistry();
  readonly #metrics = new Metrics();
  readonly #fallback: HubOptions['fallback'];
  readonly #metadata: Record<string, unknown>;
  readonly #local: LocalSubscriptions;
  /** The debug page's options; undefined: the page is off. */
  readonly #debugUi: DebugUiOptions | undefined;
  /** Named by every Bearer challenge's `resource_metadata` (RFC 9728, Mercure "Error Responses"). */
  readonly #metadataUrl: string;
  #shuttingDown = false;
  /** Connections that have not sent a request yet: closeIdleConnections() leaves them open. */
  readonly #unused = new Set<Socket>();
  /** #unused is swept of closed sockets when it grows past this (no close listener per socket). */
  #sweepUnusedAt = 64;
  /** Web Push to subscribers without a live stream (push/); undefined when off. */
  readonly #push: PushService | undefined;
  /** Serves subscribe streams on raw sockets, in front of node:http (undefined: all through node:http). */
  readonly #intake: StreamIntake | undefined;
  /** HTTP/2: h2 on the TLS port (ALPN), h2c with prior knowledge on the cleartext one. */
  readonly #http2: Http2Transport;
  /** Subscriptions over WebSocket (HubOptions.websocket); undefined when turned off. */
  readonly #websocket: WebSocketTransport | undefined;

  private constructor(options: HubOptions, authenticator: Authenticator) {
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    // File descriptors are never exhausted by streams: past this cap they are answered 503.
    const headroom = descriptorHeadroom();
    limits.maxSubscribers = Math.min(limits.maxSubscribers, streamsAllowedBy(headroom));
    const hubUrl = options.hubUrl ?? DEFAULT_HUB_URL;
    this.resource = options.jwtAudience ?? hubUrl;
    this.issuer = trustedIssuer(options);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.engine =
      options.engine ??
      new LocalEngine(
        new MemoryStore({
          size: options.historySize ?? 1000,
          ...(options.historyMaxAgeMs !== undefined && { maxAgeMs: options.historyMaxAgeMs }),
          ...(options.now !== undefined && { now: options.now }),
        }),
      );
    this.#fallback = options.fallback;
    const development =
      (options.publisherKeys ?? []).length === 0 && (options.subscriberKeys ?? []).length === 0;
    this.#debugUi =
      (options.debugUi ?? development)
        ? {
            devTokenKey: options.devTokenKey,
            issuer: this.issuer,
            audience: this.resource,
          }
        : undefined;
    this.#local = new LocalSubscriptions(this.engine.history, limits.replayPageSize, this.logger);
    this.#metadataUrl = new URL(METADATA_PATH, hubUrl).href;
    this.#metadata = protectedResourceMetadata({
      resource: this.resource,
      subscriptions: options.subscriptions ?? true,
    });
    const now = options.now ?? Date.now;
    const corsOrigins = options.corsOrigins ?? [];
    const selectorLimits: SelectorLimits = {
      maxSelectorLength: limits.maxSelectorLength,
      maxSelectorProgramSize: limits.maxSelectorProgramSize,
      maxSelectorVariableParts: limits.maxSelectorVariableParts,
      hubUrl,
    };
    const conflate = conflatePolicy(options.conflate, selectorLimits);
    const heartbeatMs = options.heartbeatMs ?? 15_000;
    const anonymous = options.anonymous ?? (options.subscriberKeys ?? []).length === 0;
    if (options.push !== undefined) {
      const presence = new Presence(this.engine.openPresence?.());
      this.#broker.observe(presence.observe);
      this.#push = new PushService({
        config: resolvePushConfig(options.push, development),
        limits,
        store: this.engine.openPushStore?.() ?? new MemoryPushStore(),
        presence,
        authenticator,
        selectorLimits,
        anonymous,
        logger: this.logger,
        now,
      });
    }
    const push = this.#push;
    this.#ctx = {
      engine: this.engine,
      broker: this.#broker,
      registry: this.#registry,
      authenticator,
      publisherAuth: (options.publisherKeys ?? []).length > 0,
      anonymous,
      subscriberTokensIgnored:
        options.authenticator === undefined && (options.subscriberKeys ?? []).length === 0,
      limits,
      hubUrl,
      selectorLimits,
      conflate,
      cors: new CorsPolicy(corsOrigins, this.logger),
      publishOrigins: new CorsPolicy(options.publishOrigins ?? corsOrigins),
      publishLimiter: new RateLimiter(limits.publishRatePerSecond, limits.publishBurst, now),
      tokenPublishLimiter: new RateLimiter(limits.publishTokenRatePerSecond, limits.publishBurst, now),
      metrics: this.#metrics,
      replays: new ReplayGate(limits.maxConcurrentReplays, limits.maxQueuedReplays),
      subscriptionHost: new SubscriptionHost({
        broker: this.#broker,
        metrics: this.#metrics,
        maxQueueEvents: limits.maxQueueEvents,
        conflate,
        announce: (info) => this.#announce(info),
      }),
      sinkOptions: {
        heartbeats: heartbeatMs > 0 ? new Heartbeats(heartbeatMs) : undefined,
        maxQueueBytes: limits.maxQueueBytes,
        maxQueueEvents: limits.maxQueueEvents,
        writeTimeoutMs: limits.writeTimeoutMs,
      },
      metadataUrl: this.#metadataUrl,
      warnedOnce: new Set(),
      logger: this.logger,
      heartbeatMs,
      retryMs: options.retryMs ?? 2_000,
      subscriptionsEnabled: options.subscriptions ?? true,
      trustProxy: options.trustProxy ?? false,
      now,
      shuttingDown: () => this.#shuttingDown,
      published: push === undefined ? undefined : (update) => push.published(update),
      announce: (info) => this.#announce(info),
    };
    this.engine.onUpdate((u) => this.#dispatch(u));
    this.#websocket =
      options.websocket?.enabled === false ? undefined : new WebSocketTransport(this.#ctx, options.websocket);
    // Node only checks header deadlines this often (default 30 s, which would let a slowloris
    // hold a socket 30 s past headersTimeout). The check walks only incomplete requests.
    const checkEveryMs = Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4)));
    this.server = createServer(
      {
        // Slowloris: headers and request bodies have deadlines. requestTimeout counts until the
        // request is fully received, so it never cuts a long-lived SSE response.
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: checkEveryMs,
        keepAliveTimeout: 5_000,
      },
      (req, res) => this.#handle(req, res),
    );
    this.#http2 = new Http2Transport({
      limits,
      logger: this.logger,
      http1: this.server,
      tls: options.tls,
      serve: (req, res) => this.#serve(req as unknown as IncomingMessage, res as unknown as ServerResponse),
      flooded: (code) => this.#metrics.h2Goaway(code),
    });
    // Idle streams cost a fraction of the memory without node:http's objects (issue 5).
    this.#intake = StreamIntake.install(this.server, {
      h2c: (socket) => this.#http2.acceptCleartext(socket),
      headersTimeoutMs: limits.headersTimeoutMs,
      checkEveryMs,
      subscribe: (head, socket, takeSocket) =>
        subscribeRaw(this.#ctx, head, socket, takeSocket, this.server.keepAliveTimeout),
      ownedByStream: (socket) => this.#unused.delete(socket),
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      // Malformed requests, oversized headers, timeouts: a short answer, never a stack trace.
      // A response already under way on this socket (a stream) must not get a second status line.
      const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (!socket.writable || current?.headersSent === true) return socket.destroy();
      const code =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? 'header_too_large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 'request_timeout'
            : 'bad_request';
      socket.end(rawProblem(code));
    });
    // Other connections (idle, publishes) can still exhaust descriptors: warn when they do.
    const watch = new ConnectionWatch(headroom, this.logger, now);
    this.server.on('connection', (socket: Socket) => {
      this.#unused.add(socket);
      if (this.#unused.size > this.#sweepUnusedAt) {
        for (const s of this.#unused) if (s.destroyed) this.#unused.delete(s);
        this.#sweepUnusedAt = 2 * this.#unused.size + 64;
      }
      watch.track(socket);
    });
    // Only events the hub handles: a listener on checkContinue or connect would change how Node
    // answers those requests (the upgrade listener serves what it does not take as node:http did).
    const used = (req: IncomingMessage) => {
      this.#unused.delete(req.socket);
      this.#intake?.requestSeen(req.socket);
    };
    this.server.prependListener('request', used);
    this.server.prependListener('checkExpectation', used);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      used(req);
      if (!this.upgrade(req, socket, head)) serveAsRequest(this.server, req, socket, head);
    });
    // Node answers an unknown `Expect` with a bare 417; RFC 9110 10.1.1 lets a server ignore it
    // instead, so such a request gets the same answer (and problem body) as without it.
    this.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      // EMFILE/ENFILE on accept: libuv keeps the listener; we log and keep serving the rest.
      this.logger.error({ code: err.code }, 'server error');
    });
  }

  static async create(options: HubOptions = {}): Promise<Hub> {
    const hubUrl = options.hubUrl ?? DEFAULT_HUB_URL;
    // Selectors granted by tokens are held to the hub's cost caps, as subscriptions are.
    const { maxSelectorProgramSize, maxSelectorVariableParts } = { ...DEFAULT_LIMITS, ...options.limits };
    const authenticator =
      options.authenticator ??
      (await createAuthenticator({
        publisherKeys: options.publisherKeys ?? [],
        subscriberKeys: options.subscriberKeys ?? [],
        ...(options.jwtAlgorithms !== undefined && { algorithms: options.jwtAlgorithms }),
        issuer: trustedIssuer(options),
        ...(options.jwtAudience !== undefined && { audience: options.jwtAudience }),
        hubUrl,
        ...(options.now !== undefined && { clock: options.now }),
        ...(options.tokenCacheSize !== undefined && { tokenCacheSize: options.tokenCacheSize }),
        limits: { maxSelectorProgramSize, maxSelectorVariableParts },
      }));
    return new Hub(options, authenticator);
  }

  /** Listens: TLS (h2 and HTTP/1.1 by ALPN) with `tls`, else cleartext (HTTP/1.1 and h2c). */
  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const server = this.#http2.listener;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** True when the hub's port speaks TLS (HubOptions.tls). */
  get tls(): boolean {
    return this.#http2.tls;
  }

  /**
   * Replaces the TLS certificate and key (a renewal; the CLI does it on SIGHUP): connections
   * made from now on get the new ones, open connections and their streams are left alone.
   */
  setTlsCredentials(credentials: TlsCredentials): void {
    this.#http2.setCredentials(credentials);
  }

  /** Publishes from inside the process (no token): validated like an HTTP publish. Resolves with the event id once stored. */
  async publish(request: PublishRequest): Promise<string> {
    const init = validateUpdate(request, this.#ctx.limits, this.#ctx.hubUrl);
    const update = await publishUnique(this.engine, init);
    this.#metrics.publishes++;
    this.#push?.published(update);
    return update.id;
  }

  /**
   * Subscribes in the process (no token: server-side code is trusted and gets private updates
   * too). Selectors follow the subscribe query: a string or strings are `match` values (exact
   * topics, `*` for all); a URLSearchParams may use every matcher of both dialects
   * (`match_urlpattern`, 0.x `topic` templates). With `lastEventId`, history after it is replayed
   * first, as for a stream; resolves once that replay is done.
   */
  subscribe(
    selectors: SubscribeSelectors,
    onUpdate: (update: Update) => void,
    options: LocalSubscribeOptions = {},
  ): Promise<HubSubscription> {
    const params =
      selectors instanceof URLSearchParams
        ? selectors
        : new URLSearchParams(
            (typeof selectors === 'string' ? [selectors] : selectors).map((t): [string, string] => [
              'match',
              t,
            ]),
          );
    const compiled = compileSelectors(
      selectorRequests(params, this.#ctx.limits.maxSelectorsPerSubscribe),
      this.#ctx.selectorLimits,
    );
    if (this.#shuttingDown) return Promise.reject(new HubError('shutting_down'));
    return this.#local.add(compiled, onUpdate, options);
  }

  /**
   * A Node request listener for the hub's paths (`/.well-known/mercure` and below): usable with
   * node:http, node:https, node:http2 (compatibility API), and as Express or Connect middleware.
   * Other requests go to `next` when given, else get a 404 problem.
   */
  readonly handler = (req: NodeRequest, res: NodeResponse, next?: NextFunction): void => {
    if (this.#take(req as IncomingMessage, res as ServerResponse)) return;
    if (next !== undefined) next();
    else sendProblem(res as ServerResponse, new HubError('not_found'));
  };

  /**
   * A Fetch handler (Hono, and other servers that speak `Request`/`Response`): a subscribe
   * answers a `Response` whose body streams the events. `remoteAddress` is the client's address
   * for the per-client limits (all clients count as one without it).
   */
  fetch(request: Request, info: { readonly remoteAddress?: string | undefined } = {}): Promise<Response> {
    const { req, res, response } = fetchExchange(request, info.remoteAddress ?? 'fetch');
    if (!this.#take(req, res)) sendProblem(res, new HubError('not_found'));
    return response;
  }

  /**
   * Serves the hub's paths on an existing node:http or node:https server, in front of the app's
   * own request listeners, which get every other request untouched. On plain HTTP the raw-socket
   * subscribe path applies, as on the hub's own server. Returns a function that detaches it.
   */
  attach(server: Server): () => void {
    return attachToServer(server, {
      take: (req, res) => this.#take(req, res),
      upgrade: (req, socket, head) => this.upgrade(req, socket, head),
      // TLS connections are read by the TLS layer first: no raw path there.
      subscribe:
        server instanceof TlsServer
          ? undefined
          : (head, socket, takeSocket) =>
              subscribeRaw(this.#ctx, head, socket, takeSocket, server.keepAliveTimeout),
    });
  }

  /**
   * Serves a WebSocket subscribe (`Upgrade: websocket` on the hub URL) from a server's `upgrade`
   * event: true when it took the request (it answers it, refusals included), false, with nothing
   * touched, for any other upgrade. The hub's own server and `attach()` call it; an app with a
   * server of its own calls it from its `upgrade` listener (docs/transports.md).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const websocket = this.#websocket;
    if (websocket === undefined || !isWebSocketUpgrade(req)) return false;
    let url: URL;
    try {
      url = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://hub.invalid');
    } catch {
      return false;
    }
    if (url.pathname !== HUB_PATH && url.pathname !== `${HUB_PATH}/`) return false;
    websocket.serve(req, socket, head, url).catch(() => socket.destroy());
    return true;
  }

  /** Active subscriptions on this process. */
  subscriptions(): SubscriptionInfo[] {
    return this.#registry.list();
  }

  onSubscriptionChange(listener: (s: SubscriptionInfo) => void): () => void {
    return this.#registry.listen(listener);
  }

  /** The debug page's address under the hub URL, or undefined when it is off. */
  get debugUiPath(): string | undefined {
    return this.#debugUi === undefined ? undefined : `${HUB_PATH}/ui/`;
  }

  /** Web Push (push/), when `push` is on: its store, presence and metrics; `idle()` for tests. */
  get push(): PushService | undefined {
    return this.#push;
  }

  get subscriberCount(): number {
    return this.#broker.size;
  }

  /**
   * Graceful shutdown: stop accepting, end every stream (clients reconnect elsewhere and resume
   * with Last-Event-ID), let in-flight publishes finish, close the engine.
   */
  async close(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const listener = this.#http2.listener;
    const closed = Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      listener === this.server ? undefined : new Promise<void>((resolve) => listener.close(() => resolve())),
    ]);
    // GOAWAY before the streams end: their clients reconnect on a new connection, not this one.
    this.#http2.goaway();
    const streams = [...this.#broker.subscribers()].map((sub) => sub.sink);
    for (const stream of streams) stream.close('shutdown');
    this.server.closeIdleConnections();
    // A pre-connected socket that never sent a request (browsers and undici open them) would
    // hold close() until the deadline: nothing is in flight on it, so it goes now.
    for (const socket of this.#unused) socket.destroy();
    const deadline = setTimeout(() => {
      this.server.closeAllConnections();
      // Streams on raw sockets are not node:http's connections, nor are HTTP/2 sessions.
      for (const stream of streams) stream.destroy();
      this.#http2.destroy();
    }, 5_000);
    deadline.unref();
    await closed;
    clearTimeout(deadline);
    this.#metrics.close();
    this.#local.clear();
    await this.#push?.close();
    await this.engine.close();
  }

  #dispatch(update: Update): void {
    this.#metrics.deliveries += this.#broker.dispatch(update);
    if (this.#local.size > 0) this.#local.dispatch(update);
  }

  #announce(info: SubscriptionInfo): void {
    this.#registry.set(info);
    // Subscription events are private updates on the subscription's own topic, of the reserved
    // SSE event type `mercure` (Mercure "Subscription Events"), broadcast without entering history.
    const update = createUpdate({
      topics: [info.id],
      data: JSON.stringify(info),
      private: true,
      id: `urn:uuid:${randomUUID()}`,
      type: 'mercure',
    });
    if (this.engine.broadcast !== undefined) {
      this.engine
        .broadcast(update)
        .catch((err: unknown) => this.logger.warn({ err }, 'subscription event lost'));
    } else {
      this.#dispatch(update);
    }
  }

  /** The hub's own server: the hub's paths, the operations endpoints, then `fallback`. */
  #handle(req: IncomingMessage, res: ServerResponse): void {
    // node:http parses `HTTP/2.0` in text and HTTP/0.9 lines as requests; RFC 9110 15.6.6: 505.
    // The raw intake never takes them, so both paths answer alike.
    if (req.httpVersionMajor !== 1 || (req.httpVersionMinor !== 0 && req.httpVersionMinor !== 1)) {
      const version = req.httpVersionMajor === 0 ? '0.9' : req.httpVersion;
      sendProblem(
        res,
        new HubError('http_version_not_supported', `HTTP/${version} is not spoken here`, {
          Connection: 'close',
        }),
      );
      return;
    }
    this.#serve(req, res);
  }

  /** A request of the hub's own server, of any HTTP version it speaks (HTTP/2 streams come here directly). */
  #serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.#take(req, res, true)) return;
    if (this.#fallback !== undefined) this.#fallback(req, res);
    else sendProblem(res, new HubError('not_found'));
  }

  /**
   * Serves the request when its path is the hub's (true); false leaves it untouched. Mounted
   * under a prefix by Express, the path is read from `originalUrl`. The operations endpoints
   * (/healthz, /readyz, /metrics) are the hub's own server's only: an app has its own.
   */
  #take(req: IncomingMessage, res: ServerResponse, operations = false): boolean {
    let url: URL;
    try {
      url = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://hub.invalid');
    } catch {
      if (!operations) return false;
      sendProblem(res, new HubError('bad_request', 'unparsable request target'));
      return true;
    }
    const route = this.#route(req, res, url.pathname, operations);
    if (route === undefined) return false;
    route(this.#ctx, req, res, url).catch((err: unknown) => this.#fail(req, res, err));
    return true;
  }

  #route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    operations: boolean,
  ): ((ctx: HubContext, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>) | undefined {
    const method = req.method ?? 'GET';
    if (path === HUB_PATH || path === `${HUB_PATH}/`) {
      this.#ctx.cors.apply(req, res);
      if (method === 'GET' || method === 'QUERY') return handleSubscribe;
      if (method === 'POST') return handlePublish;
      if (method === 'OPTIONS') return async (ctx) => ctx.cors.preflight(req, res);
      return methodNotAllowed('GET, QUERY, POST, OPTIONS');
    }
    if (path === SUBSCRIPTIONS_PATH || path.startsWith(`${SUBSCRIPTIONS_PATH}/`)) {
      this.#ctx.cors.apply(req, res);
      if (method === 'GET') return handleSubscriptions;
      if (method === 'OPTIONS') return async (ctx) => ctx.cors.preflight(req, res);
      return methodNotAllowed('GET, OPTIONS');
    }
    if (this.#push !== undefined && path === PUSH_PATH) {
      const push = this.#push;
      this.#ctx.cors.apply(req, res);
      if (method === 'OPTIONS') {
        return async (ctx) => ctx.cors.preflight(req, res, 'GET, HEAD, POST, DELETE, OPTIONS');
      }
      return (ctx, r, s, url) => handlePush(ctx, push, r, s, url);
    }
    if (this.#debugUi !== undefined && (path === `${HUB_PATH}/ui` || path.startsWith(`${HUB_PATH}/ui/`))) {
      const ui = debugUiRoute(path, method, this.#debugUi);
      if (ui !== undefined) return (ctx, r, s) => ui(ctx, r, s);
    }
    if (path === METADATA_PATH) {
      // RFC 9728 protected resource metadata, at the path derived from the hub URL (Mercure "Discovery").
      return async () => {
        const body = JSON.stringify(this.#metadata);
        writeHead(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
        res.end(body);
      };
    }
    if (!operations) return undefined;
    if (path === '/healthz') return async () => plain(res, 200, 'ok\n');
    if (path === '/readyz') {
      return async (ctx) => {
        const ready = ctx.engine.isReady() && !this.#shuttingDown;
        plain(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
      };
    }
    if (path === '/metrics') {
      return async (ctx) => {
        const body = this.#metrics.render({
          subscribers: ctx.broker.size,
          topics: ctx.broker.topicCount,
          ready: ctx.engine.isReady() && !this.#shuttingDown,
          replays: ctx.replays,
          sinks: ctx.broker.subscribers(),
          h2Sessions: this.#http2.sessions,
        });
        writeHead(res, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.#push === undefined ? body : body + this.#push.renderMetrics());
      };
    }
    return undefined;
  }

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    sendProblem(res, settleError(this.#ctx, err, req.method, req.url ?? ''));
  }
}

function trustedIssuer(options: HubOptions): string | undefined {
  return options.jwtIssuer ?? (options.devTokenKey !== undefined ? DEV_ISSUER : undefined);
}

function methodNotAllowed(allow: string) {
  return async (): Promise<void> => {
    throw new HubError('method_not_allowed', undefined, { Allow: allow });
  };
}

function plain(res: ServerResponse, status: number, body: string): void {
  writeHead(res, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
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

/** Creates a hub (not yet listening). */
export function createHub(options: HubOptions = {}): Promise<Hub> {
  return Hub.create(options);
}
