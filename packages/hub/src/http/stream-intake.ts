import { maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_HEAD_BYTES, readSubscribeHead, type SubscribeHead } from './subscribe-head.js';

type ConnectionListener = (this: Server, socket: Socket) => void;

/** Bytes a client may send while its stream is being admitted (it should send none). */
const MAX_EARLY_BYTES = 64 * 1024;

export interface StreamIntakeOptions {
  /** A complete request head must arrive within this many ms (node:http's headersTimeout). */
  readonly headersTimeoutMs: number;
  /** How often deadlines are checked (node:http's connectionsCheckingInterval). */
  readonly checkEveryMs: number;
  /**
   * Serves a subscribe request on the raw socket. Resolves true once it owns the socket (the
   * stream is open, or the client left), false when node:http must answer the request instead.
   * Before writing anything it calls `claim()`, which hands the socket over (the intake's own
   * listeners go) and says whether the stream may go ahead: false when the client has gone or
   * has sent more than the head.
   */
  subscribe(head: SubscribeHead, socket: Socket, claim: () => boolean): Promise<boolean>;
  /** The socket is a stream's now: it will never carry a request node:http sees. */
  taken(socket: Socket): void;
}

/**
 * Serves subscribe streams without node:http, and everything else with it.
 *
 * An idle SSE stream held by node:http keeps an IncomingMessage, a ServerResponse, an HTTP
 * parser, the request's header strings and about eight bound listeners per connection, about
 * 4.5 KB of heap for a connection that only ever receives frames. The intake stands in front of
 * the server's own connection handler: it looks at the first bytes of each connection and, when
 * they are exactly one plain `GET /.well-known/mercure?…` head (`readSubscribeHead`), serves the
 * stream on the socket itself. Every other connection, and every subscribe that must be answered
 * with an error, is handed to node:http with its bytes put back (`socket.unshift`), as if it had
 * just connected: node:http answers it exactly as before, limits, timeouts and problems included.
 *
 * Slowloris: the header timeout counts from the connection, as node:http's does, until node:http
 * has a request from it (`used()`), so handing a connection over never restarts the clock; when
 * it passes, the hub's clientError handler answers as it does for node:http's own timeout.
 */
export class StreamIntake {
  readonly #server: Server;
  readonly #http: ConnectionListener;
  readonly #opts: StreamIntakeOptions;
  /** Heads longer than node:http's header limit (--max-http-header-size) are its to refuse. */
  readonly #maxHeadBytes: number;
  /** Connections without a complete request yet, and when they came. */
  readonly #pending = new Map<Socket, number>();
  /** Connections whose first bytes this intake is still waiting for or judging. */
  readonly #judging = new Map<Socket, () => void>();
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(server: Server, http: ConnectionListener, opts: StreamIntakeOptions) {
    this.#server = server;
    this.#http = http;
    this.#opts = opts;
    this.#maxHeadBytes = Math.min(MAX_HEAD_BYTES, maxHeaderSize);
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

  /** node:http has a request from this connection: its head arrived in time. */
  used(socket: Socket): void {
    this.#pending.delete(socket);
  }

  #accept(socket: Socket): void {
    this.#track(socket);
    const early: Buffer[] = [];
    let earlyBytes = 0;
    let head: SubscribeHead | undefined;
    const onData = (chunk: Buffer) => {
      if (head !== undefined) {
        // Bytes after the head while the stream is admitted: kept for node:http if it answers.
        early.push(chunk);
        earlyBytes += chunk.length;
        if (earlyBytes > MAX_EARLY_BYTES) socket.destroy();
        return;
      }
      head = readSubscribeHead(chunk, this.#maxHeadBytes);
      if (head === undefined) return handOver([chunk]);
      // The head came in time; what is left is the hub's own work.
      this.#pending.delete(socket);
      early.push(chunk);
      this.#opts.subscribe(head, socket, claim).then(
        (owned) => {
          if (!owned && !claimed) handOver(early);
          else if (!claimed) release();
        },
        () => socket.destroy(),
      );
    };
    // The client went away while its stream was being admitted: as node:http does, no answer.
    const onEnd = () => socket.destroy();
    const release = () => {
      this.#judging.delete(socket);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', ignore);
      socket.off('close', release);
    };
    const handOver = (bytes: Buffer[]) => {
      release();
      if (socket.destroyed) return;
      // Paused, the bytes put back wait in the socket's buffer for node:http's 'data' listener;
      // resume() lets them flow on the next tick, before anything newer is read.
      socket.pause();
      socket.unshift(bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes));
      this.#http.call(this.#server, socket);
      socket.resume();
    };
    let claimed = false;
    const claim = (): boolean => {
      claimed = true;
      release();
      // Anything sent after the head of a stream is a request that can never be answered.
      if (early.length > 1) socket.destroy();
      if (socket.destroyed) return false;
      this.#opts.taken(socket);
      return true;
    };
    this.#judging.set(socket, release);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', ignore);
    // A connection that closes before it is judged must not stay in #judging.
    socket.on('close', release);
  }

  #track(socket: Socket): void {
    if (this.#opts.headersTimeoutMs <= 0) return;
    this.#pending.set(socket, Date.now());
    if (this.#sweeper !== undefined) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#opts.checkEveryMs);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const expired = Date.now() - this.#opts.headersTimeoutMs;
    for (const [socket, since] of this.#pending) {
      if (socket.destroyed) this.#pending.delete(socket);
      else if (since <= expired) {
        this.#pending.delete(socket);
        this.#timeout(socket);
      }
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
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
