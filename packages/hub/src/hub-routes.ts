import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBSCRIPTIONS_PATH } from './broker/subscription-info.js';
import { HUB_PATH, METADATA_PATH } from './defaults.js';
import { HubError } from './errors.js';
import { settleError } from './http/error-answer.js';
import { writeHead } from './http/header-value.js';
import { sendProblem } from './http/problem.js';
import type { HubContext } from './hub-context.js';
import type { Metrics } from './ops/metrics.js';
import { handlePublish } from './publish/publish-handler.js';
import { handlePush, PUSH_PATH } from './push/push-handler.js';
import type { PushService } from './push/push-service.js';
import { type DebugUiOptions, debugUiRoute } from './routes/debug-ui.js';
import { handleSubscribe } from './routes/subscribe-handler.js';
import { handleSubscriptions } from './routes/subscriptions-handler.js';
import { isWebSocketUpgrade, type WebSocketTransport } from './transports/websocket/websocket-transport.js';

/** What serves one request of the hub's paths. */
export type Route = (ctx: HubContext, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** What the route dispatch reads of one hub. */
export interface RouteTable {
  readonly ctx: HubContext;
  readonly push: PushService | undefined;
  /** The debug page's options; undefined: the page is off. */
  readonly debugUi: DebugUiOptions | undefined;
  /** RFC 9728 metadata served at METADATA_PATH. */
  readonly metadata: Record<string, unknown>;
  readonly metrics: Metrics;
  /** Open HTTP/2 sessions, for /metrics. */
  readonly h2Sessions: () => number;
}

/** The request's URL (mounted under a prefix by Express: `originalUrl`); undefined when unparsable. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://hub.invalid');
  } catch {
    return undefined;
  }
}

/** True when the path is the hub's own (`/.well-known/mercure`, with or without a slash). */
export function isHubPath(path: string): boolean {
  return path === HUB_PATH || path === `${HUB_PATH}/`;
}

/**
 * Serves the request when its path is the hub's (true); false leaves it untouched. The
 * operations endpoints (/healthz, /readyz, /metrics) are the hub's own server's only
 * (`operations`): an app has its own. A route's error is answered as a problem.
 */
export function takeRequest(
  table: RouteTable,
  req: IncomingMessage,
  res: ServerResponse,
  operations: boolean,
): boolean {
  const url = requestUrl(req);
  if (url === undefined) {
    if (!operations) return false;
    sendProblem(res, new HubError('bad_request', 'unparsable request target'));
    return true;
  }
  const route = routeFor(table, req, res, url.pathname, operations);
  if (route === undefined) return false;
  route(table.ctx, req, res, url).catch((err: unknown) =>
    sendProblem(res, settleError(table.ctx, err, req.method, req.url ?? '')),
  );
  return true;
}

/** A request of the hub's own server: its paths, the operations endpoints, then `fallback` (else 404). */
export function serveOwn(
  table: RouteTable,
  req: IncomingMessage,
  res: ServerResponse,
  fallback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined,
): void {
  if (takeRequest(table, req, res, true)) return;
  if (fallback !== undefined) fallback(req, res);
  else sendProblem(res, new HubError('not_found'));
}

/** A WebSocket subscribe on the hub's path (true: taken and answered); false leaves the upgrade untouched. */
export function serveUpgrade(
  websocket: WebSocketTransport | undefined,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): boolean {
  if (websocket === undefined || !isWebSocketUpgrade(req)) return false;
  const url = requestUrl(req);
  if (url === undefined || !isHubPath(url.pathname)) return false;
  websocket.serve(req, socket, head, url).catch(() => socket.destroy());
  return true;
}

/**
 * node:http parses `HTTP/2.0` in text and HTTP/0.9 lines as requests; RFC 9110 15.6.6: 505. The
 * raw intake never takes them, so both paths answer alike. True when it answered.
 */
export function refuseHttpVersion(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersionMajor === 1 && (req.httpVersionMinor === 0 || req.httpVersionMinor === 1)) return false;
  const version = req.httpVersionMajor === 0 ? '0.9' : req.httpVersion;
  sendProblem(
    res,
    new HubError('http_version_not_supported', `HTTP/${version} is not spoken here`, { Connection: 'close' }),
  );
  return true;
}

/**
 * The route for a request path and method, or undefined when the path is not the hub's. The
 * operations endpoints (/healthz, /readyz, /metrics) exist on the hub's own server only
 * (`operations`): an app that embeds the hub has its own.
 */
export function routeFor(
  table: RouteTable,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  operations: boolean,
): Route | undefined {
  const { ctx } = table;
  const method = req.method ?? 'GET';
  if (isHubPath(path)) {
    ctx.cors.apply(req, res);
    if (method === 'GET' || method === 'QUERY') return handleSubscribe;
    if (method === 'POST') return handlePublish;
    if (method === 'OPTIONS') return async (c) => c.cors.preflight(req, res);
    return methodNotAllowed('GET, QUERY, POST, OPTIONS');
  }
  if (path === SUBSCRIPTIONS_PATH || path.startsWith(`${SUBSCRIPTIONS_PATH}/`)) {
    ctx.cors.apply(req, res);
    if (method === 'GET') return handleSubscriptions;
    if (method === 'OPTIONS') return async (c) => c.cors.preflight(req, res);
    return methodNotAllowed('GET, OPTIONS');
  }
  const push = table.push;
  if (push !== undefined && path === PUSH_PATH) {
    ctx.cors.apply(req, res);
    if (method === 'OPTIONS') {
      return async (c) => c.cors.preflight(req, res, 'GET, HEAD, POST, DELETE, OPTIONS');
    }
    return (c, r, s, url) => handlePush(c, push, r, s, url);
  }
  if (table.debugUi !== undefined && (path === `${HUB_PATH}/ui` || path.startsWith(`${HUB_PATH}/ui/`))) {
    const ui = debugUiRoute(path, method, table.debugUi);
    if (ui !== undefined) return (c, r, s) => ui(c, r, s);
  }
  if (path === METADATA_PATH) {
    // RFC 9728 protected resource metadata, at the path derived from the hub URL (Mercure "Discovery").
    return async () => {
      const body = JSON.stringify(table.metadata);
      writeHead(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
      res.end(body);
    };
  }
  if (!operations) return undefined;
  return operationsRoute(table, res, path);
}

/** /healthz, /readyz and /metrics. */
function operationsRoute(table: RouteTable, res: ServerResponse, path: string): Route | undefined {
  if (path === '/healthz') return async () => plain(res, 200, 'ok\n');
  if (path === '/readyz') {
    return async (ctx) => {
      const ready = ctx.engine.isReady() && !ctx.shuttingDown();
      plain(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
    };
  }
  if (path === '/metrics') {
    return async (ctx) => {
      const body = table.metrics.render({
        subscribers: ctx.broker.size,
        topics: ctx.broker.topicCount,
        ready: ctx.engine.isReady() && !ctx.shuttingDown(),
        replays: ctx.replays,
        sinks: ctx.broker.subscribers(),
        h2Sessions: table.h2Sessions(),
        sharedConflations: ctx.subscriptionHost.rates.sharedCount,
      });
      writeHead(res, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(table.push === undefined ? body : body + table.push.renderMetrics());
    };
  }
  return undefined;
}

function methodNotAllowed(allow: string): Route {
  return async (): Promise<void> => {
    throw new HubError('method_not_allowed', undefined, { Allow: allow });
  };
}

function plain(res: ServerResponse, status: number, body: string): void {
  writeHead(res, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}
