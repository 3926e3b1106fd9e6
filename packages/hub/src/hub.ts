import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { Authenticator } from './auth/principal.js';
import { Broker } from './broker/broker.js';
import {
  type HubSubscription,
  type LocalSubscribeOptions,
  LocalSubscriptions,
} from './broker/local-subscriptions.js';
import { type SubscriptionInfo, subscriptionEvent } from './broker/subscription-info.js';
import { SubscriptionRegistry } from './broker/subscription-registry.js';
import { DEFAULT_HUB_URL, HUB_PATH } from './defaults.js';
import type { Engine } from './engine/engine.js';
import { publishUnique } from './engine/publish-unique.js';
import { HubError } from './errors.js';
import { fetchExchange } from './http/fetch-exchange.js';
import { sendProblem } from './http/problem.js';
import type { HubContext } from './hub-context.js';
import type {
  HubOptions,
  NextFunction,
  NodeRequest,
  NodeResponse,
  SubscribeSelectors,
} from './hub-options.js';
import { type RouteTable, refuseHttpVersion, serveOwn, serveUpgrade, takeRequest } from './hub-routes.js';
import { createHubServers, listenOn, PreconnectedSockets, rawSubscribeFor } from './hub-server.js';
import {
  authenticatorFor,
  createContext,
  debugUiFor,
  engineFor,
  limitsFor,
  trustedIssuer,
} from './hub-setup.js';
import { shutDown } from './hub-shutdown.js';
import type { Update } from './model/update.js';
import { type PublishRequest, validateUpdate } from './model/validate-update.js';
import { Metrics } from './ops/metrics.js';
import type { PushService } from './push/push-service.js';
import { attachToServer } from './routes/attach.js';
import type { DebugUiOptions } from './routes/debug-ui.js';
import { protectedResourceMetadata } from './routes/protected-resource-metadata.js';
import { localSelectors } from './subscribe/selectors-from-query.js';
import type { Http2Transport } from './transports/http2/http2-transport.js';
import type { TlsCredentials } from './transports/http2/tls-front.js';
import { WebSocketTransport } from './transports/websocket/websocket-transport.js';

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
  /** What the route dispatch reads (hub-routes.ts). */
  readonly #routes: RouteTable;
  readonly #local: LocalSubscriptions;
  /** The debug page's options; undefined: the page is off. */
  readonly #debugUi: DebugUiOptions | undefined;
  #shuttingDown = false;
  /** Connections that have not sent a request yet: closeIdleConnections() leaves them open. */
  readonly #preconnected = new PreconnectedSockets();
  /** Web Push to subscribers without a live stream (push/); undefined when off. */
  readonly #push: PushService | undefined;
  /** HTTP/2: h2 on the TLS port (ALPN), h2c with prior knowledge on the cleartext one. */
  readonly #http2: Http2Transport;
  /** Subscriptions over WebSocket (HubOptions.websocket); undefined when turned off. */
  readonly #websocket: WebSocketTransport | undefined;

  private constructor(options: HubOptions, authenticator: Authenticator) {
    const { limits, headroom } = limitsFor(options);
    const hubUrl = options.hubUrl ?? DEFAULT_HUB_URL;
    this.resource = options.jwtAudience ?? hubUrl;
    this.issuer = trustedIssuer(options);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.engine = engineFor(options);
    this.#fallback = options.fallback;
    this.#debugUi = debugUiFor(options, this.issuer, this.resource);
    this.#local = new LocalSubscriptions(this.engine.history, limits.replayPageSize, this.logger);
    const { ctx, push } = createContext({
      options,
      authenticator,
      engine: this.engine,
      broker: this.#broker,
      registry: this.#registry,
      metrics: this.#metrics,
      limits,
      hubUrl,
      logger: this.logger,
      shuttingDown: () => this.#shuttingDown,
      announce: (info) => this.#announce(info),
    });
    this.#ctx = ctx;
    this.#push = push;
    this.engine.onUpdate((u) => this.#dispatch(u));
    this.#websocket =
      options.websocket?.enabled === false ? undefined : new WebSocketTransport(this.#ctx, options.websocket);
    const servers = createHubServers({
      ctx,
      limits,
      tls: options.tls,
      headroom,
      preconnected: this.#preconnected,
      handle: (req, res) => this.#handle(req, res),
      serve: (req, res) => this.#serve(req, res),
      upgrade: (req, socket, head) => this.upgrade(req, socket, head),
    });
    this.server = servers.server;
    this.#http2 = servers.http2;
    this.#routes = {
      ctx,
      push,
      debugUi: this.#debugUi,
      metadata: protectedResourceMetadata({
        resource: this.resource,
        subscriptions: options.subscriptions ?? true,
      }),
      metrics: this.#metrics,
      h2Sessions: () => this.#http2.sessions,
    };
  }

  static async create(options: HubOptions = {}): Promise<Hub> {
    return new Hub(options, await authenticatorFor(options));
  }

  /** Listens: TLS (h2 and HTTP/1.1 by ALPN) with `tls`, else cleartext (HTTP/1.1 and h2c). */
  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return listenOn(this.#http2.listener, port, host);
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
    const { limits, selectorLimits } = this.#ctx;
    const compiled = localSelectors(selectors, limits.maxSelectorsPerSubscribe, selectorLimits);
    if (this.#shuttingDown) return Promise.reject(new HubError('shutting_down'));
    return this.#local.add(compiled, onUpdate, options);
  }

  /**
   * A Node request listener for the hub's paths (`/.well-known/mercure` and below): usable with
   * node:http, node:https, node:http2 (compatibility API), and as Express or Connect middleware.
   * Other requests go to `next` when given, else get a 404 problem.
   */
  readonly handler = (req: NodeRequest, res: NodeResponse, next?: NextFunction): void => {
    if (takeRequest(this.#routes, req as IncomingMessage, res as ServerResponse, false)) return;
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
    if (!takeRequest(this.#routes, req, res, false)) sendProblem(res, new HubError('not_found'));
    return response;
  }

  /**
   * Serves the hub's paths on an existing node:http or node:https server, in front of the app's
   * own request listeners, which get every other request untouched. On plain HTTP the raw-socket
   * subscribe path applies, as on the hub's own server. Returns a function that detaches it.
   */
  attach(server: Server): () => void {
    return attachToServer(server, {
      take: (req, res) => takeRequest(this.#routes, req, res, false),
      upgrade: (req, socket, head) => this.upgrade(req, socket, head),
      subscribe: rawSubscribeFor(this.#ctx, server),
    });
  }

  /**
   * Serves a WebSocket subscribe (`Upgrade: websocket` on the hub URL) from a server's `upgrade`
   * event: true when it took the request (it answers it, refusals included), false, with nothing
   * touched, for any other upgrade. The hub's own server and `attach()` call it; an app with a
   * server of its own calls it from its `upgrade` listener (docs/transports.md).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return serveUpgrade(this.#websocket, req, socket, head);
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
   * with Last-Event-ID), let in-flight publishes finish, close the engine (hub-shutdown.ts).
   */
  async close(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    await shutDown({
      server: this.server,
      http2: this.#http2,
      broker: this.#broker,
      preconnected: this.#preconnected,
      metrics: this.#metrics,
      local: this.#local,
      push: this.#push,
      engine: this.engine,
    });
  }

  #dispatch(update: Update): void {
    this.#metrics.deliveries += this.#broker.dispatch(update);
    if (this.#local.size > 0) this.#local.dispatch(update);
  }

  #announce(info: SubscriptionInfo): void {
    this.#registry.set(info);
    const update = subscriptionEvent(info);
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
    if (!refuseHttpVersion(req, res)) this.#serve(req, res);
  }

  /** A request of the hub's own server, of any HTTP version it speaks (HTTP/2 streams come here directly). */
  #serve(req: IncomingMessage, res: ServerResponse): void {
    serveOwn(this.#routes, req, res, this.#fallback);
  }
}

/** Creates a hub (not yet listening). */
export function createHub(options: HubOptions = {}): Promise<Hub> {
  return Hub.create(options);
}
