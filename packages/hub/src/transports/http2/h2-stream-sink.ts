import { constants, type ServerHttp2Stream } from 'node:http2';
import { headerValue } from '../../http/header-value.js';
import { isHopByHop } from '../../http/hop-by-hop.js';
import { FlowControlledSink, type FlowControlOptions } from '../../stream/flow-controlled-sink.js';
import type { CloseReason, Framing, Opening } from '../../stream/sink.js';
import { sseResponseHeaders } from '../../stream/sse-headers.js';
import { resetStream } from './session-guard.js';
import { SSE_PAYLOADS } from './sse-payloads.js';

/** Where a stream finds its sink: the listeners are shared functions, not closures per sink. */
const kSink = Symbol('tidings.h2StreamSink');
type SinkStream = ServerHttp2Stream & { [kSink]?: Http2StreamSink | undefined };

type Fields = Readonly<Record<string, string | readonly string[]>>;
const NONE: Fields = Object.freeze({});
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * SSE on a native HTTP/2 stream (stream/sink.ts): the head is one HEADERS frame sent at
 * once (`respond`), events are DATA frames, and backpressure is HTTP/2 flow control (RFC 9113
 * 5.2): a client that does not read keeps its stream's window closed, `write` returns false, and
 * the sink queues, bounded, and is dropped past its bound or the write timeout, like any slow
 * consumer, while the other streams of the same connection go on. The client leaving is the
 * stream's `close` (RST_STREAM, or the connection going).
 */
export class Http2StreamSink extends FlowControlledSink {
  readonly #stream: SinkStream;
  /** Headers set before the stream was admitted (the route's CORS headers), written first. */
  #first: Fields;
  /** Between `hold()` and `release()`: writes are kept in `#held`, not handed to the stream. */
  #holding = false;
  /** What was written while held, in order: one Buffer, or several; null: nothing. */
  #held: Buffer | Buffer[] | null = null;
  #heldBytes = 0;

  constructor(stream: ServerHttp2Stream, opts: FlowControlOptions, first = NONE) {
    super(opts);
    this.#stream = stream;
    this.#first = first;
    this.#stream[kSink] = this;
    stream.on('close', onStreamClose);
    stream.on('error', onStreamError);
    stream.on('drain', onStreamDrain);
  }

  get framing(): Framing {
    return SSE_PAYLOADS;
  }

  get protocol(): string {
    return 'h2';
  }

  /** HEADERS now (a client publishing on `open` cannot race us), then the preamble. */
  open(opening: Opening): void {
    if (this.closed) return;
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      this.ended('client');
      return;
    }
    const headers: Record<string, string | string[] | number> = { ':status': 200 };
    for (const [name, value] of Object.entries(this.#first)) {
      headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
    }
    this.#first = NONE;
    for (const [name, value] of Object.entries(sseResponseHeaders(NO_HEADERS, opening, false))) {
      // RFC 9113 8.2.2: no connection-specific field in an HTTP/2 message.
      if (!isHopByHop(name)) headers[name.toLowerCase()] = headerValue(value);
    }
    stream.respond(headers, { endStream: false });
    const preamble = this.framing.preamble(opening.retryMs);
    this.opened(preamble === undefined || preamble.length === 0 ? undefined : preamble);
  }

  protected send(frames: Buffer): boolean {
    return this.#holding ? this.#keep(frames) : this.#stream.write(frames);
  }

  /** SSE on h2 is unframed by us (DATA frames are node:http2's): the bytes go as `send`'s do. */
  protected sendAsIs(bytes: Buffer): boolean {
    return this.send(bytes);
  }

  /**
   * Keeps what is written from now on, until `release()`. The sink keeps the bytes itself rather
   * than corking the stream: node:http2 costs the same per stream write whatever its size (a
   * WriteWrap, a completion callback into JavaScript, a nextTick and four closures), and a
   * corked Writable adds an entry per write and a `_writev` array per uncork; here the stream gets
   * one `write` of the held bytes joined, and streams held with the same turns share one join.
   */
  hold(): void {
    this.#holding = true;
  }

  /** Writes what was held, as one write; a stream that pushes back blocks the sink as `send` would. */
  release(): void {
    this.#holding = false;
    if (this.#held === null) return;
    if (!this.#stream.write(this.#take())) this.pushedBack();
  }

  /**
   * Held bytes count against the stream's high-water mark, as a corked stream's buffer does:
   * the write that reaches it hands everything held to the stream at once and returns the
   * stream's answer (false), so the stream's own 'drain' follows and the sink queues, bounded,
   * meanwhile. A stream below the mark answers true at release for the same bytes.
   */
  #keep(bytes: Buffer): boolean {
    const held = this.#held;
    if (held === null) this.#held = bytes;
    else if (Array.isArray(held)) held.push(bytes);
    else this.#held = [held, bytes];
    this.#heldBytes += bytes.length;
    const stream = this.#stream;
    if (stream.writableLength + this.#heldBytes < stream.writableHighWaterMark) return true;
    return stream.write(this.#take());
  }

  /** The held bytes as one Buffer; nothing is held afterwards. */
  #take(): Buffer {
    const held = this.#held!;
    const length = this.#heldBytes;
    this.#held = null;
    this.#heldBytes = 0;
    return Array.isArray(held) ? joined(held, length) : held;
  }

  /**
   * A graceful end (lifetime, token, shutdown) ends the stream with END_STREAM, a clean end
   * EventSource reconnects after; a dropped slow consumer is reset (RST_STREAM CANCEL), since
   * its window may never open again. The connection and its other streams are untouched.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    const stream = this.#stream;
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error' || !this.isOpen) {
      resetStream(stream, constants.NGHTTP2_CANCEL);
    } else {
      // What was held goes before END_STREAM (a corked stream's end() would write it too).
      this.#holding = false;
      if (this.#held !== null) stream.write(this.#take());
      stream.end();
      // END_STREAM waits behind the data the client's window holds back: a client that never
      // reads would keep the stream (and a place against the concurrent-stream limit) forever.
      setTimeout(lingerEnded, this.lingerMs, stream).unref();
    }
    this.ended(reason);
  }

  destroy(): void {
    resetStream(this.#stream, constants.NGHTTP2_CANCEL);
    this.ended('shutdown');
  }

  protected released(): void {
    this.#holding = false;
    this.#held = null;
    this.#heldBytes = 0;
    const stream = this.#stream;
    stream[kSink] = undefined;
    stream.off('drain', onStreamDrain);
  }
}

function onStreamClose(this: SinkStream): void {
  this[kSink]?.ended('client');
}

function onStreamError(this: SinkStream): void {
  this[kSink]?.ended('error');
}

function onStreamDrain(this: SinkStream): void {
  this[kSink]?.drained();
}

/**
 * The last join of two held buffers, and its parts: the write coalescer hands every stream that had
 * all of a turn's updates the same shared Buffer, so streams held over the same two turns hold the
 * same pair, and one join serves them all (encode once, write the same bytes to everyone). Only
 * identity is compared: written Buffers are never changed, and the ones kept here cannot be
 * collected and their identity reused. Three Buffers stay referenced until the next join.
 */
let lastFirst: Buffer | undefined;
let lastSecond: Buffer | undefined;
let lastJoined: Buffer | undefined;

function joined(held: Buffer[], length: number): Buffer {
  if (held.length !== 2) return Buffer.concat(held, length);
  const [first, second] = held as [Buffer, Buffer];
  if (first !== lastFirst || second !== lastSecond || lastJoined === undefined) {
    lastJoined = Buffer.concat(held, length);
    lastFirst = first;
    lastSecond = second;
  }
  return lastJoined;
}

/** Past the linger after a graceful end: a stream still open is reset. */
function lingerEnded(stream: ServerHttp2Stream): void {
  if (!stream.closed) resetStream(stream, constants.NGHTTP2_CANCEL);
}
