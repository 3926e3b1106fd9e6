import type { Server as HttpServer } from 'node:http';
import {
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { H2GoawayCode } from '../../errors.js';
import type { Limits } from '../../limits.js';
import { guardSession } from './session-guard.js';
import { closeWhenIdle } from './session-idle.js';
import { type TlsCredentials, TlsFront } from './tls-front.js';

export interface Http2TransportOptions {
  readonly limits: Readonly<Limits>;
  readonly logger: Logger;
  /** The hub's node:http server: HTTP/1.1 connections of the TLS port go to it. */
  readonly http1: HttpServer;
  /** Serve TLS (h2 and HTTP/1.1 by ALPN) on the hub's port; undefined: cleartext (HTTP/1.1 and h2c). */
  readonly tls: TlsCredentials | undefined;
  /** Every request of every HTTP/2 stream, through node:http2's compatibility API. */
  readonly serve: (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  /** A connection was ended for the work it caused (session-guard.ts), for the metrics. */
  readonly flooded?: ((code: H2GoawayCode) => void) | undefined;
}

/**
 * HTTP/2 for a hub: a node:http2 server that never listens itself, given connections by the
 * TLS port (ALPN `h2`) and by the cleartext port (a connection that starts with the HTTP/2
 * preface, `acceptCleartext`). It keeps the sessions it serves, to end them with GOAWAY when the
 * hub shuts down (RFC 9113 6.8: clients open new streams elsewhere and nothing is cut).
 */
export class Http2Transport {
  readonly #server: Http2Server;
  readonly #tls: TlsFront | undefined;
  readonly #http1: HttpServer;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #opts: Http2TransportOptions;
  #closing = false;

  constructor(opts: Http2TransportOptions) {
    const { limits } = opts;
    this.#opts = opts;
    this.#http1 = opts.http1;
    this.#server = createServer(
      {
        settings: {
          // RFC 9113 6.5.2: the peer may open no more streams than this at once; further
          // HEADERS are refused with RST_STREAM REFUSED_STREAM (safe to retry, 8.7).
          maxConcurrentStreams: limits.h2MaxConcurrentStreams,
          maxHeaderListSize: limits.h2MaxHeaderListBytes,
          // Nothing is pushed (RFC 9113 8.4); clients need not keep room for it.
          enablePush: false,
        },
        // Megabytes nghttp2 may hold for one session before it refuses new streams.
        maxSessionMemory: limits.h2MaxSessionMemoryBytes / 1_000_000,
      },
      opts.serve,
    );
    this.#server.on('session', (session: ServerHttp2Session) => this.#track(session));
    this.#server.on('sessionError', (err: Error) => opts.logger.debug({ err }, 'http/2 session error'));
    this.#tls =
      opts.tls === undefined
        ? undefined
        : new TlsFront(opts.tls, { http1: opts.http1, h2: this.#server }, limits.headersTimeoutMs);
  }

  /** The server that listens on the hub's port: the TLS front, or node:http's for cleartext. */
  get listener(): NetServer {
    return this.#tls?.server ?? this.#http1;
  }

  get tls(): boolean {
    return this.#tls !== undefined;
  }

  /** HTTP/2 sessions open now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /**
   * A cleartext connection whose first bytes are the HTTP/2 preface (h2c with prior knowledge,
   * RFC 9113 3.3), those bytes put back into it: node:http2 reads them from its buffer.
   */
  acceptCleartext(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#server.emit('connection', socket);
  }

  /** New certificate and key for new connections; open ones keep theirs (SIGHUP). */
  setCredentials(credentials: TlsCredentials): void {
    if (this.#tls === undefined) throw new Error('this hub does not serve TLS');
    this.#tls.setCredentials(credentials);
  }

  /**
   * GOAWAY on every session (RFC 9113 6.8): no new stream is accepted on it, the streams it
   * has end as the hub ends them, then the connection closes. Clients reconnect on a new
   * connection, to another instance behind the same address.
   */
  goaway(): void {
    this.#closing = true;
    this.#tls?.dropHandshakes();
    for (const session of this.#sessions) if (!session.closed) session.close();
  }

  /** Ends every session now, whatever it holds (past the shutdown deadline). */
  destroy(): void {
    for (const session of this.#sessions) session.destroy();
  }

  #track(session: ServerHttp2Session): void {
    if (this.#closing) {
      session.close();
      return;
    }
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    const { limits, logger, flooded } = this.#opts;
    closeWhenIdle(session, limits.h2IdleTimeoutMs);
    guardSession(session, limits, (code) => {
      logger.warn(
        { code, client: session.socket?.remoteAddress },
        'HTTP/2 connection closed: GOAWAY ENHANCE_YOUR_CALM',
      );
      flooded?.(code);
    });
  }
}
