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
    return this.#stream.write(frames);
  }

  hold(): void {
    this.#stream.cork();
  }

  release(): void {
    this.#stream.uncork();
  }

  protected sendAsIs(bytes: Buffer): boolean {
    return this.#stream.write(bytes);
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

/** Past the linger after a graceful end: a stream still open is reset. */
function lingerEnded(stream: ServerHttp2Stream): void {
  if (!stream.closed) resetStream(stream, constants.NGHTTP2_CANCEL);
}
