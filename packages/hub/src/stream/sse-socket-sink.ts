import type { Socket } from 'node:net';
import { FlowControlledSink, type FlowControlOptions } from './flow-controlled-sink.js';
import { responseHead } from './response-head.js';
import type { CloseReason, Framing, Opening } from './sink.js';
import { SSE_CHUNKS } from './sse-framing.js';
import { sseResponseHeaders } from './sse-headers.js';
import { unchunk } from './unchunk.js';

/** The last chunk of a chunked body (RFC 9112 7.1): a clean end, distinguishable from a reset. */
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** No headers before the stream's own (shared: nothing is allocated per stream for it). */
const NONE: Readonly<Record<string, string>> = Object.freeze({});

/** Where a socket finds its sink: the listeners below are shared functions, not closures per sink. */
const kSink = Symbol('tidings.sseSocketSink');
type SinkSocket = Socket & { [kSink]?: SseSocketSink | undefined };

/**
 * SSE on a raw socket whose request head was read without node:http (`routes/stream-intake.ts`):
 * this sink writes the response head itself and owns the socket, and no IncomingMessage,
 * ServerResponse or HTTP parser stays alive for the stream (issue 5: memory per idle subscriber).
 * The connection closes after the stream's last chunk: node:http, which would read a next
 * request, never saw it.
 */
export class SseSocketSink extends FlowControlledSink {
  readonly #socket: SinkSocket;
  /**
   * An HTTP/1.0 request: no chunked coding (RFC 9112 7.1: not sent to a 1.0 recipient), the body
   * ends when the connection closes (RFC 9112 6.3 rule 8). Frames are then written unframed.
   */
  readonly #closeDelimited: boolean;
  /** The route's CORS headers, written first in the head (then dropped). */
  #first: Readonly<Record<string, string>>;

  constructor(
    socket: Socket,
    opts: FlowControlOptions,
    http10: boolean,
    first: Readonly<Record<string, string>> = NONE,
  ) {
    super(opts);
    this.#socket = socket;
    this.#closeDelimited = http10;
    this.#first = first;
    // Listeners come at open(): until then the intake that read the head watches the socket
    // (and a close is seen at open()).
    this.#socket[kSink] = this;
  }

  get framing(): Framing {
    return SSE_CHUNKS;
  }

  get protocol(): string {
    return this.#closeDelimited ? 'http/1.0' : 'http/1.1';
  }

  /** Sends the status line, headers and preamble in one write (a client publishing on `open` cannot race us). */
  open(opening: Opening): void {
    if (this.closed) return;
    const socket = this.#socket;
    if (socket.destroyed) {
      this.ended('client');
      return;
    }
    socket.on('close', onSocketClose);
    socket.on('error', ignore);
    socket.on('drain', onSocketDrain);
    // Nothing may follow the request on a stream's connection: a pipelined request could never
    // be answered. A half-closed client is gone: the socket ends itself (as node:http does)
    // and then closes.
    socket.on('data', onRawInput);
    socket.allowHalfOpen = false;
    // Nagle would hold small frames for up to 40 ms waiting for an ACK.
    socket.setNoDelay(true);
    const headers = sseResponseHeaders(this.#first, opening, this.#closeDelimited);
    this.#first = NONE;
    const head = responseHead(200, headers, this.#closeDelimited ? {} : { 'Transfer-Encoding': 'chunked' });
    const preamble = this.framing.preamble(opening.retryMs);
    this.opened(
      preamble === undefined || preamble.length === 0
        ? head
        : Buffer.concat([head, this.#closeDelimited ? unchunk(preamble) : preamble]),
    );
  }

  protected send(frames: Buffer): boolean {
    return this.#socket.write(this.#closeDelimited ? unchunk(frames) : frames);
  }

  protected sendAsIs(bytes: Buffer): boolean {
    return this.#socket.write(bytes);
  }

  /**
   * A graceful end (lifetime, token, shutdown) writes the terminating chunk, so EventSource
   * reconnects; a dropped slow consumer is destroyed, since its socket cannot drain.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    const socket = this.#socket;
    // A stream that has not sent its head has no body to end.
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error' || !this.isOpen) {
      socket.destroy();
    } else {
      // A server may close after any complete response (RFC 9112 9.6).
      if (this.#closeDelimited) socket.end();
      else socket.end(LAST_CHUNK);
      // The terminating chunk may wait behind what the socket holds, and a connection we
      // half-closed stays open until the client closes its side: a client that never reads
      // would keep the connection, and its descriptor, forever and outside every subscriber
      // cap. It gets the write timeout to finish, like any blocked write. (Whether the socket is
      // blocked at this moment does not tell: the kernel buffers can hold megabytes the client
      // never reads.)
      setTimeout(lingerEnded, this.lingerMs, socket).unref();
    }
    this.ended(reason);
  }

  destroy(): void {
    this.#socket.destroy();
    this.ended('shutdown');
  }

  /**
   * Lets the socket go untouched, before open(), and reports no close: the transport answers
   * the request itself (a refusal that came after the sink was made).
   */
  abandon(): void {
    if (this.closed || this.isOpen) return;
    this.discard();
    this.#socket[kSink] = undefined;
  }

  protected released(): void {
    this.#socket[kSink] = undefined;
  }
}

function onSocketClose(this: SinkSocket): void {
  this[kSink]?.ended('client');
}

function onSocketDrain(this: SinkSocket): void {
  this[kSink]?.drained();
}

/** Nothing may follow the request on a raw stream's connection (see open()). */
function onRawInput(this: Socket): void {
  this.destroy();
}

/** Past the linger after a graceful end: the connection is closed if the client has not closed it. */
function lingerEnded(socket: Socket): void {
  if (!socket.destroyed) socket.destroy();
}

function ignore(): void {}
