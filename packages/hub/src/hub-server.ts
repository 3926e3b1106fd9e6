import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { rawProblem } from './http/problem.js';
import { serveAsRequest } from './http/upgrade-fallback.js';
import type { HubContext } from './hub-context.js';
import type { Limits } from './limits.js';
import { ConnectionWatch } from './ops/connection-watch.js';
import { RawPublishConnection } from './routes/raw-publish.js';
import { subscribeRaw } from './routes/raw-subscribe.js';
import { StreamIntake, type StreamIntakeOptions } from './routes/stream-intake.js';
import { Http2Transport } from './transports/http2/http2-transport.js';
import type { TlsCredentials } from './transports/http2/tls-front.js';

/**
 * How often Node checks header deadlines (its default, 30 s, would let a slowloris hold a socket
 * 30 s past headersTimeout). The check walks only incomplete requests.
 */
export function headerCheckInterval(limits: Limits): number {
  return Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4)));
}

/** The hub's node:http server: deadlines on headers and bodies, never on a long-lived response. */
export function createHubServer(
  limits: Limits,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  return createServer(
    {
      // Slowloris: headers and request bodies have deadlines. requestTimeout counts until the
      // request is fully received, so it never cuts a long-lived SSE response.
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: headerCheckInterval(limits),
      keepAliveTimeout: 5_000,
    },
    handle,
  );
}

/**
 * Connections that have not sent a request yet (browsers and undici open them ahead of need):
 * closeIdleConnections() leaves them open, so close() destroys them (destroyAll). The set is swept
 * of closed sockets when it grows, rather than holding a close listener per socket.
 */
export class PreconnectedSockets {
  readonly #sockets = new Set<Socket>();
  /** The set is swept of closed sockets when it grows past this. */
  #sweepAt = 64;

  add(socket: Socket): void {
    this.#sockets.add(socket);
    if (this.#sockets.size > this.#sweepAt) {
      for (const s of this.#sockets) if (s.destroyed) this.#sockets.delete(s);
      this.#sweepAt = 2 * this.#sockets.size + 64;
    }
  }

  /** The socket sent a request, or a stream owns it now. */
  delete(socket: Socket): boolean {
    return this.#sockets.delete(socket);
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}

export interface ServerEvents {
  readonly logger: Logger;
  /** File descriptors left beside the subscriber cap (descriptor-headroom.ts), for the watch. */
  readonly headroom: number | undefined;
  readonly now: () => number;
  readonly preconnected: PreconnectedSockets;
  readonly intake: StreamIntake | undefined;
  /** Serves a request (the hub's own server: its paths, operations, then the fallback). */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serves an upgrade the hub takes (WebSocket): false leaves it to node:http's default answer. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

/**
 * The server's events, besides requests: malformed requests get a short problem, connections are
 * tracked (pre-connected ones and descriptor use), upgrades go to the hub or are served as
 * node:http would, an unknown `Expect` is ignored, accept errors are logged. Only events the hub
 * handles: a listener on checkContinue or connect would change how Node answers those requests.
 */
export function wireServerEvents(server: Server, events: ServerEvents): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
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
  const watch = new ConnectionWatch(events.headroom, events.logger, events.now);
  server.on('connection', (socket: Socket) => {
    events.preconnected.add(socket);
    watch.track(socket);
  });
  const requestSeen = (req: IncomingMessage) => {
    events.preconnected.delete(req.socket);
    events.intake?.requestSeen(req.socket);
  };
  server.prependListener('request', requestSeen);
  server.prependListener('checkExpectation', requestSeen);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    requestSeen(req);
    if (!events.upgrade(req, socket, head)) serveAsRequest(server, req, socket, head);
  });
  // Node answers an unknown `Expect` with a bare 417; RFC 9110 10.1.1 lets a server ignore it
  // instead, so such a request gets the same answer (and problem body) as without it.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => events.handle(req, res));
  server.on('error', (err: NodeJS.ErrnoException) => {
    // EMFILE/ENFILE on accept: libuv keeps the listener; we log and keep serving the rest.
    events.logger.error({ code: err.code }, 'server error');
  });
}

/** Listens on the port and host; resolves with the address, rejects on a listen error. */
export function listenOn(server: NetServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export interface HubServersOptions {
  readonly ctx: HubContext;
  readonly limits: Limits;
  readonly tls: TlsCredentials | undefined;
  /** File descriptors left beside the subscriber cap (descriptor-headroom.ts). */
  readonly headroom: number | undefined;
  readonly preconnected: PreconnectedSockets;
  /** A request of node:http (any version: refuseHttpVersion first). */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** A request of a version the hub speaks (HTTP/2 streams come here directly). */
  readonly serve: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

/**
 * The hub's own servers: node:http, HTTP/2 (h2 on the TLS port by ALPN, h2c with prior knowledge
 * on the cleartext one) and the raw-socket intake of subscribe streams in front of node:http.
 */
export function createHubServers(o: HubServersOptions): {
  server: Server;
  http2: Http2Transport;
  intake: StreamIntake | undefined;
} {
  const { ctx, limits } = o;
  const server = createHubServer(limits, o.handle);
  const http2 = new Http2Transport({
    limits,
    logger: ctx.logger,
    http1: server,
    tls: o.tls,
    serve: (req, res) => o.serve(req as unknown as IncomingMessage, res as unknown as ServerResponse),
    flooded: (code) => ctx.metrics.h2Goaway(code),
  });
  // Idle streams cost a fraction of the memory without node:http's objects (issue 5).
  const intake = StreamIntake.install(server, {
    h2c: (socket) => http2.acceptCleartext(socket),
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    checkEveryMs: headerCheckInterval(limits),
    subscribe: (head, socket, takeSocket) =>
      subscribeRaw(ctx, head, socket, takeSocket, server.keepAliveTimeout),
    ownedByStream: (socket) => o.preconnected.delete(socket),
    publish: (socket, options) => new RawPublishConnection(ctx, socket, options),
  });
  if (intake !== undefined) closesRawPublishes(server, intake);
  wireServerEvents(server, {
    logger: ctx.logger,
    headroom: o.headroom,
    now: ctx.now,
    preconnected: o.preconnected,
    intake,
    handle: o.handle,
    upgrade: o.upgrade,
  });
  return { server, http2, intake };
}

/**
 * Raw publish connections are the server's connections too: its closeIdleConnections (shutdown)
 * lets them answer what they read and close, its closeAllConnections (the deadline) destroys them,
 * as node:http does with its own.
 */
function closesRawPublishes(server: Server, intake: StreamIntake): void {
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    intake.closePublishing();
  };
  server.closeAllConnections = () => {
    closeAll();
    intake.destroyPublishing();
  };
}

/**
 * The raw-socket subscribe path for a server the hub is attached to (Hub.attach): none on TLS,
 * whose connections are read by the TLS layer first.
 */
export function rawSubscribeFor(ctx: HubContext, server: Server): StreamIntakeOptions['subscribe'] {
  if (server instanceof TlsServer) return undefined;
  return (head, socket, takeSocket) => subscribeRaw(ctx, head, socket, takeSocket, server.keepAliveTimeout);
}
