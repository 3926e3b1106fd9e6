import { maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { matchPreface } from '../transports/http2/preface.js';
import { startsPublish } from './publish-head.js';
import type { RawPublishConnection, RawPublishOptions } from './raw-publish.js';
import { RequestDeadlines } from './request-deadlines.js';
import { MAX_HEAD_BYTES, readSubscribeHead, type SubscribeHead } from './subscribe-head.js';

type ConnectionListener = (this: Server, socket: Socket) => void;

/** Bytes a client may send while its stream is being admitted (it should send none). */
const MAX_EARLY_BYTES = 64 * 1024;

export interface StreamIntakeOptions {
  /** A complete request head must arrive within this many ms (node:http's headersTimeout). */
  readonly headersTimeoutMs: number;
  /** A whole request (a raw publish's head and body) must arrive within this many ms (node:http's requestTimeout); 0 or absent: no limit. */
  readonly requestTimeoutMs?: number;
  /** How often deadlines are checked (node:http's connectionsCheckingInterval). */
  readonly checkEveryMs: number;
  /**
   * Serves a subscribe request on the raw socket, answering it whatever the outcome
   * (routes/raw-subscribe.ts). Resolves true once it owns the socket (the stream is open, the
   * client left, or its answer closes the connection), false once it has answered a refusal on
   * a connection that stays open: the intake then reads that connection's next request. Before
   * a stream writes anything it calls `takeSocket()`, which hands the socket over (the intake's
   * own listeners go) and says whether the stream may go ahead: false when the client has gone
   * or has sent more than the head. Undefined: no stream is served here (a TLS server, whose
   * bytes are read by the TLS layer first), every connection goes to node:http.
   */
  readonly subscribe:
    | ((head: SubscribeHead, socket: Socket, takeSocket: () => boolean) => Promise<boolean>)
    | undefined;
  /** The socket is a stream's now: it will never carry a request node:http sees. */
  ownedByStream(socket: Socket): void;
  /**
   * Takes a connection that starts with the HTTP/2 preface (h2c with prior knowledge), its
   * first bytes put back; undefined: such a connection goes to node:http, which answers 505.
   */
  readonly h2c?: ((socket: Socket) => void) | undefined;
  /**
   * Makes the raw publish connection (routes/raw-publish.ts) of a connection whose first bytes
   * are a POST to the hub's path; the intake starts it and closes it with the server's
   * closeIdleConnections. Undefined: node:http serves every publish.
   */
  readonly publish?: ((socket: Socket, options: RawPublishOptions) => RawPublishConnection) | undefined;
}

/**
 * Serves subscribe streams without node:http, and everything else with it.
 *
 * An idle SSE stream held by node:http keeps an IncomingMessage, a ServerResponse, an HTTP
 * parser, the request's header strings and about eight bound listeners per connection, about
 * 4.5 KB of heap for a connection that only ever receives frames. The intake stands in front of
 * the server's own connection handler: it looks at the first bytes of each connection and, when
 * they are exactly one plain `GET /.well-known/mercure?…` head (`readSubscribeHead`), serves the
 * stream on the socket itself, refusals included. Every other connection is handed to node:http
 * with its bytes put back (`socket.unshift`), as if it had just connected: node:http answers it
 * exactly as before, limits, timeouts and problems included. A connection kept open after a
 * refusal is read again the same way, as node:http reads a kept-alive connection's next request.
 *
 * Slowloris: the header timeout counts from the connection (or, on a kept-alive connection,
 * from the next request's first byte), as node:http's does, until node:http has a request from
 * it (`requestSeen()`), so handing a connection over never restarts the clock; when it passes,
 * the hub's clientError handler answers as it does for node:http's own timeout.
 */
export class StreamIntake {
  readonly #server: Server;
  readonly #http: ConnectionListener;
  readonly #opts: StreamIntakeOptions;
  /** Heads longer than node:http's header limit (--max-http-header-size) are its to refuse. */
  readonly #maxHeadBytes: number;
  /** Connections without a complete request yet, and when their time is up. */
  readonly #pending: RequestDeadlines;
  /** Connections whose first bytes this intake is still waiting for or judging. */
  readonly #judging = new Map<Socket, () => void>();
  /** Raw publish connections (routes/raw-publish.ts), for shutdown. */
  readonly #publishing = new Set<RawPublishConnection>();

  private constructor(server: Server, http: ConnectionListener, opts: StreamIntakeOptions) {
    this.#server = server;
    this.#http = http;
    this.#opts = opts;
    this.#maxHeadBytes = Math.min(MAX_HEAD_BYTES, maxHeaderSize);
    this.#pending = new RequestDeadlines(
      opts.headersTimeoutMs,
      opts.requestTimeoutMs ?? 0,
      opts.checkEveryMs,
      (socket) => this.#timeout(socket),
    );
  }

  /**
   * Puts an intake in front of `server`'s connection handler. Call it right after creating the
   * server; undefined (and nothing changed) when the server does not look as expected.
   */
  static install(server: Server, opts: StreamIntakeOptions): StreamIntake | undefined {
    const listeners = server.listeners('connection');
    if (listeners.length !== 1) return undefined;
    const http = listeners[0] as ConnectionListener;
    const intake = new StreamIntake(server, http, opts);
    server.removeListener('connection', http);
    server.on('connection', (socket: Socket) => intake.#accept(socket));
    return intake;
  }

  /** Shutdown: every raw publish connection answers what it read, then closes. */
  closePublishing(): void {
    for (const connection of this.#publishing) connection.close();
  }

  destroyPublishing(): void {
    for (const connection of this.#publishing) connection.destroy();
  }

  /** node:http has a request from this connection: its head arrived in time. */
  requestSeen(socket: Socket): void {
    this.#pending.done(socket);
  }

  #accept(socket: Socket): void {
    this.#pending.start(socket);
    this.#judge(socket, false, undefined);
  }

  /**
   * Reads a connection's next request: its first one, or (`kept`) the one after a refusal
   * answered on it, whose first bytes may have come already (`leftover`). A kept connection
   * idle for the server's keepAliveTimeout is closed, as node:http closes its own.
   */
  #judge(socket: Socket, kept: boolean, leftover: Buffer | undefined): void {
    const early: Buffer[] = [];
    let earlyBytes = 0;
    let head: SubscribeHead | undefined;
    let idle: NodeJS.Timeout | undefined;
    /** The first bytes while they are a prefix of the HTTP/2 preface (it may come in pieces). */
    let preface: Buffer | undefined;
    const onData = (data: Buffer) => {
      let chunk = data;
      if (idle !== undefined) {
        clearTimeout(idle);
        idle = undefined;
      }
      if (kept && head === undefined && early.length === 0) this.#pending.start(socket);
      if (head !== undefined) {
        // Bytes after the head while the stream is admitted: the next request, if it is refused.
        early.push(chunk);
        earlyBytes += chunk.length;
        if (earlyBytes > MAX_EARLY_BYTES) socket.destroy();
        return;
      }
      const h2c = this.#opts.h2c;
      if (h2c !== undefined && !kept) {
        if (preface !== undefined) chunk = Buffer.concat([preface, chunk]);
        const match = matchPreface(chunk);
        if (match === 'partial') {
          preface = chunk;
          return;
        }
        if (match === 'preface') return handOverH2c(chunk, h2c);
        preface = undefined;
      }
      const publish = this.#opts.publish;
      if (publish !== undefined && !kept && startsPublish(chunk)) return handOverPublish(chunk, publish);
      const subscribe = this.#opts.subscribe;
      head = subscribe === undefined ? undefined : readSubscribeHead(chunk, this.#maxHeadBytes);
      if (subscribe === undefined || head === undefined) return handOver(chunk);
      // The head came in time; what is left is the hub's own work.
      this.#pending.done(socket);
      early.push(chunk);
      subscribe(head, socket, takeSocket).then(
        (owned) => {
          if (claimed) return;
          release();
          if (owned || socket.destroyed) return;
          // Refused, the connection kept: what came after the head is its next request.
          this.#judge(socket, true, early.length > 1 ? Buffer.concat(early.slice(1)) : undefined);
        },
        () => socket.destroy(),
      );
    };
    // The client went away while its stream was being admitted: as node:http does, no answer.
    const onEnd = () => socket.destroy();
    const release = () => {
      clearTimeout(idle);
      this.#judging.delete(socket);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', ignore);
      socket.off('close', release);
    };
    const handOver = (bytes: Buffer) => {
      release();
      if (socket.destroyed) return;
      // Paused, the bytes put back wait in the socket's buffer for node:http's 'data' listener;
      // resume() lets them flow on the next tick, before anything newer is read.
      socket.pause();
      socket.unshift(bytes);
      this.#http.call(this.#server, socket);
      socket.resume();
    };
    // HTTP/2 has its own framing, limits and deadlines from here on (transports/http2/).
    const handOverH2c = (bytes: Buffer, h2c: (socket: Socket) => void) => {
      this.#pending.done(socket);
      release();
      if (socket.destroyed) return;
      socket.pause();
      socket.unshift(bytes);
      this.#opts.ownedByStream(socket);
      h2c(socket);
    };
    // Form publishes: read and answered off the socket until a request is not one (raw-publish.ts).
    const handOverPublish = (
      bytes: Buffer,
      publish: (socket: Socket, options: RawPublishOptions) => RawPublishConnection,
    ) => {
      release();
      if (socket.destroyed) return;
      this.#opts.ownedByStream(socket);
      const connection = publish(socket, {
        maxHeadBytes: this.#maxHeadBytes,
        keepAliveTimeoutMs: this.#server.keepAliveTimeout,
        handOver: (s, rest) => this.#toHttp(s, rest),
        deadlines: this.#pending,
        done: (c) => this.#publishing.delete(c),
      });
      this.#publishing.add(connection);
      connection.start(bytes);
    };
    let claimed = false;
    const takeSocket = (): boolean => {
      claimed = true;
      release();
      // Anything sent after the head of a stream is a request that can never be answered.
      if (early.length > 1) socket.destroy();
      if (socket.destroyed) return false;
      this.#opts.ownedByStream(socket);
      return true;
    };
    this.#judging.set(socket, release);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', ignore);
    // A connection that closes before it is judged must not stay in #judging.
    socket.on('close', release);
    if (leftover !== undefined) onData(leftover);
    else if (kept && this.#server.keepAliveTimeout > 0) {
      idle = setTimeout(destroy, this.#server.keepAliveTimeout, socket);
      idle.unref();
    }
  }

  /** A raw publish connection's next request is node:http's; its header deadline runs on. */
  #toHttp(socket: Socket, bytes: Buffer): void {
    if (socket.destroyed) return;
    this.#pending.awaitHead(socket);
    socket.pause();
    socket.unshift(bytes);
    this.#http.call(this.#server, socket);
    socket.resume();
  }

  /** What node:http does when a head is late: a clientError, which the hub answers with a 408 problem. */
  #timeout(socket: Socket): void {
    this.#judging.get(socket)?.();
    if (socket.listenerCount('error') === 0) socket.on('error', ignore);
    const err = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    if (!this.#server.emit('clientError', err, socket)) socket.destroy();
  }
}

function ignore(): void {}

function destroy(socket: Socket): void {
  socket.destroy();
}
