import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { headerValue, isFieldName, writeHead } from '../http/header-value.js';
import { withoutHopByHop } from '../http/hop-by-hop.js';
import { toChunk } from './chunk.js';
import { encodeComment } from './encode-event.js';
import type { Beating, Heartbeats } from './heartbeats.js';
import { unchunk } from './unchunk.js';

export type CloseReason =
  | 'client'
  | 'slow_consumer'
  | 'write_timeout'
  | 'lifetime'
  | 'token_expired'
  | 'shutdown'
  | 'error';

export interface SseStreamOptions {
  /** Comment heartbeats after a period of silence, shared by the hub's streams; none: no heartbeat. */
  readonly heartbeats?: Heartbeats | undefined;
  /** Bound of the queue kept while the socket does not drain. */
  readonly maxQueueBytes: number;
  readonly maxQueueEvents: number;
  /** The socket must drain within this many ms once it pushed back. */
  readonly writeTimeoutMs: number;
  readonly now?: () => number;
}

/** Told once when the stream ends (the subscriber that owns it). */
export interface StreamOwner {
  streamClosed(reason: CloseReason): void;
}

const HEARTBEAT = toChunk(encodeComment());
/** The last chunk of a chunked body (RFC 9112 7.1): a clean end, distinguishable from a reset. */
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** States of a stream (bits of one small integer, not three fields). */
const BLOCKED = 1;
const OPENED = 2;
const CLOSED = 4;

/** Where a socket or response finds its stream. */
const kStream = Symbol('tidings.sseStream');
type Carrier = (Socket | ServerResponse) & { [kStream]?: SseStream | undefined };

// The stream's listeners are shared functions below (`this`: the socket or response), not
// per-stream closures; these two reach into the class for them.
let finishStream: (stream: SseStream, reason: CloseReason) => void;
let drainStream: (stream: SseStream) => void;

/**
 * One SSE response. Frames are written as-is (they are encoded once per update and shared by
 * every subscriber); when `write()` returns false the stream stops writing and queues, bounded
 * in bytes and events, and writes the whole queue as one chunk on `drain`. A subscriber that
 * overflows its queue or does not drain in time is dropped: it reconnects with Last-Event-ID
 * and resumes from history, so nothing is lost and nobody else waits for it.
 *
 * Two ways in: over a node:http `ServerResponse` (headers through node:http, then frames to its
 * socket directly), or over a raw socket whose request head was read without node:http
 * (`http/stream-intake.ts`): then this class writes the response head itself and owns the socket,
 * and no IncomingMessage, ServerResponse or HTTP parser stays alive for the stream.
 */
export class SseStream implements Beating {
  /** Told when the stream ends; set by the subscriber that owns the stream. */
  owner: StreamOwner | undefined;
  /** Heartbeats' bookkeeping (see Heartbeats). */
  beatIndex = -1;
  beatTick = 0;
  /** WriteCoalescer's bookkeeping for this tick (see WriteCoalescer). */
  pendingCount = 0;
  pendingList: Buffer[] | null = null;
  readonly #opts: SseStreamOptions;
  /** node:http path only. */
  readonly #res: ServerResponse | undefined;
  /**
   * True when frames go to a socket as pre-framed HTTP/1.1 chunks (node:http, raw socket); false
   * for a response that frames bodies itself (node:http2 compatibility, `hub.fetch()`): then
   * frames are unchunked and written through the response.
   */
  readonly #framed: boolean;
  /** The socket frames are written to: from the start on a raw socket, once headers are out otherwise. */
  #sink: Socket | undefined;
  /** Frames held while blocked (allocated then only). */
  #queue: Buffer[] | null = null;
  #queuedBytes = 0;
  /** BLOCKED until open(): frames written before the headers wait in the queue. */
  #flags = BLOCKED;
  #writeTimer: NodeJS.Timeout | undefined;
  #endTimer: NodeJS.Timeout | undefined;
  /** When the stream ends (ms, `now` clock); 0: no end set. */
  #endAt = 0;
  /**
   * An HTTP/1.0 request: no chunked coding (RFC 9112 7.1: not sent to a 1.0 recipient), the body
   * ends when the connection closes (RFC 9112 6.3 rule 8). Frames are then written unframed.
   */
  readonly #closeDelimited: boolean;

  /**
   * Over a node:http response (`transport` a ServerResponse) or a raw socket that has sent its
   * request head (`http10`: with an HTTP/1.0 request line; a response knows its request's).
   */
  constructor(transport: ServerResponse | Socket, opts: SseStreamOptions, http10 = false) {
    this.#opts = opts;
    this.#closeDelimited = isResponse(transport) ? isHttp10(transport) : http10;
    (transport as Carrier)[kStream] = this;
    if (isResponse(transport)) {
      this.#res = transport;
      this.#framed = transport instanceof ServerResponse;
      transport.on('close', onCarrierClose);
      transport.on('error', onResponseError);
    } else {
      // A raw socket's listeners come at open(): until then the intake that read its head
      // watches it (and a close is seen at open()).
      this.#sink = transport;
      this.#framed = true;
    }
  }

  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  /** True while the socket pushes back and frames are queued: a backlog writer should await `whenWritable()`. */
  get blocked(): boolean {
    return (this.#flags & BLOCKED) !== 0;
  }

  /** Sends the status line and headers now (so a client publishing on `open` cannot race us), then `preamble`. */
  open(given: Record<string, string>, preamble?: Buffer): void {
    if (this.closed) return;
    // HTTP/1.0: the connection closes after the body, which is how the body ends.
    const headers = this.#closeDelimited ? { ...given, Connection: 'close' } : given;
    const res = this.#res;
    let first: Buffer | undefined;
    if (res === undefined) {
      const socket = this.#sink!;
      if (socket.destroyed) {
        this.#finish('client');
        return;
      }
      socket.on('close', onCarrierClose);
      socket.on('error', ignore);
      socket.on('drain', onDrain);
      // Nothing may follow the request on a stream's connection: a pipelined request could never
      // be answered. A half-closed client is gone: the socket ends itself (as node:http does)
      // and then closes.
      socket.on('data', onRawInput);
      socket.allowHalfOpen = false;
      // Nagle would hold small frames for up to 40 ms waiting for an ACK.
      socket.setNoDelay(true);
      // The head and the preamble leave in one write.
      // Every value is visible ASCII after headerValue: Latin-1 and ASCII bytes are the same.
      const head = Buffer.from(responseHead(headers, this.#closeDelimited), 'latin1');
      const body =
        preamble === undefined || preamble.length === 0 ? undefined : this.#wire(toChunk(preamble));
      first = body === undefined ? head : Buffer.concat([head, body]);
    } else if (!this.#framed) {
      writeHead(res, 200, withoutHopByHop(headers));
      res.flushHeaders();
      // The response is the sink: it emits `drain` and `close` itself (and carries kStream).
      this.#sink = res as unknown as Socket;
      res.on('drain', onDrain);
      if (preamble !== undefined && preamble.length > 0) first = this.#wire(toChunk(preamble));
    } else {
      const socket = res.socket;
      if (socket === null) {
        this.#finish('client');
        return;
      }
      socket.setNoDelay(true);
      writeHead(res, 200, headers);
      res.flushHeaders();
      if (!res.chunkedEncoding && !this.#closeDelimited) {
        // Only chunked bodies can be written past ServerResponse (our chunks are pre-framed).
        this.#finish('error');
        res.destroy();
        return;
      }
      this.#sink = socket;
      (socket as Carrier)[kStream] = this;
      socket.on('drain', onDrain);
      if (preamble !== undefined && preamble.length > 0) first = this.#wire(toChunk(preamble));
    }
    this.#flags = OPENED;
    const early = this.#queue;
    this.#queue = null;
    this.#queuedBytes = 0;
    this.#opts.heartbeats?.add(this);
    if (first !== undefined && !this.#sink!.write(first)) this.#block();
    if (early !== null) for (const chunk of early) this.write(chunk);
  }

  /**
   * What goes on the wire for chunks: themselves, or their payloads where the body is not
   * chunked by us (a close-delimited HTTP/1.0 body, or a response that frames bodies itself).
   */
  #wire(chunks: Buffer): Buffer {
    return this.#closeDelimited || !this.#framed ? unchunk(chunks) : chunks;
  }

  /**
   * Writes (or queues) bytes that are one or more complete HTTP chunks (`Update.chunk`, or
   * `toChunk()` of a frame); false when the stream is closed or was just dropped. Written to the
   * socket directly: ServerResponse would frame (and cork) every call again.
   */
  write(frame: Buffer): boolean {
    const flags = this.#flags;
    if ((flags & CLOSED) !== 0) return false;
    if ((flags & BLOCKED) !== 0) {
      let queue = this.#queue;
      if (queue === null) {
        queue = [];
        this.#queue = queue;
      }
      if (
        queue.length >= this.#opts.maxQueueEvents ||
        this.#queuedBytes + frame.length > this.#opts.maxQueueBytes
      ) {
        this.close('slow_consumer');
        return false;
      }
      queue.push(frame);
      this.#queuedBytes += frame.length;
      return true;
    }
    const heartbeats = this.#opts.heartbeats;
    if (heartbeats !== undefined) this.beatTick = heartbeats.tick;
    if (!this.#sink!.write(this.#wire(frame))) this.#block();
    return true;
  }

  /** Resolves once nothing is queued (used by replay, which may write more than the queue bound). */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const sink = this.#sink!;
      const closer: Carrier = this.#res ?? sink;
      const done = () => {
        sink.off('drain', check);
        closer.off('close', done);
        resolve();
      };
      // Our own drain handler runs first (registered at open) and flushes the queue.
      const check = () => {
        if (!this.blocked) done();
      };
      sink.on('drain', check);
      closer.on('close', done);
    });
  }

  /** Ends the stream at `at` (ms, same clock as `now`): token expiry, maximum lifetime. The earliest call wins. */
  endAt(at: number, reason: CloseReason): void {
    if ((this.#endAt !== 0 && at >= this.#endAt) || this.closed) return;
    this.#endAt = at;
    const delay = Math.max(0, at - (this.#opts.now ?? Date.now)());
    clearTimeout(this.#endTimer);
    this.#endTimer = setTimeout(closeStream, Math.min(delay, 2 ** 31 - 1), this, reason);
    this.#endTimer.unref();
  }

  /**
   * Ends the stream. A graceful end (lifetime, token, shutdown) writes the terminating chunk, so
   * EventSource reconnects; a dropped slow consumer is destroyed, since its socket cannot drain.
   */
  close(reason: CloseReason): void {
    const flags = this.#flags;
    if ((flags & CLOSED) !== 0) return;
    const res = this.#res;
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error') this.#destroy();
    // A raw stream that has not sent its head has no body to end.
    else if (res === undefined && (flags & OPENED) === 0) this.#destroy();
    else {
      if (res !== undefined) res.end();
      // A raw stream's connection closes after its last chunk (a server may close after any
      // complete response, RFC 9112 9.6): node:http, which would read a next request, never
      // saw this connection.
      else if (this.#closeDelimited) this.#sink!.end();
      else this.#sink!.end(LAST_CHUNK);
      // The terminating chunk may wait behind what the socket holds, and a raw connection we
      // half-closed stays open until the client closes its side: a client that never reads
      // would keep the connection, and its descriptor, forever and outside every subscriber
      // cap. It gets the write timeout to finish, like any blocked write. (Whether the socket is
      // blocked at this moment does not tell: the kernel buffers can hold megabytes the client
      // never reads.) A node:http response that finished is left to node:http's keep-alive.
      const linger = setTimeout(lingerEnded, this.#opts.writeTimeoutMs || 30_000, res ?? this.#sink!);
      linger.unref();
    }
    this.#finish(reason);
  }

  /** Destroys the connection now, whatever it holds (Hub.close() past its deadline). */
  destroy(): void {
    this.#destroy();
    this.#finish('shutdown');
  }

  /**
   * Gives a raw socket back untouched, before open(): its request is then answered by node:http
   * (an error that must be answered exactly as node:http answers it). No close is reported.
   */
  abandon(): void {
    if ((this.#flags & (OPENED | CLOSED)) !== 0 || this.#res !== undefined) return;
    this.#flags = CLOSED;
    clearTimeout(this.#endTimer);
    this.#queue = null;
    this.#queuedBytes = 0;
    (this.#sink as Carrier)[kStream] = undefined;
  }

  /**
   * A comment after a period of silence (Heartbeats). None while the socket pushes back: the
   * queue goes first, and the write timeout decides about a client that does not read.
   */
  heartbeat(): void {
    if (this.#flags === OPENED) this.write(HEARTBEAT);
  }

  #destroy(): void {
    if (this.#res !== undefined) this.#res.destroy();
    else this.#sink?.destroy();
  }

  #finish(reason: CloseReason): void {
    if (this.closed) return;
    this.#flags |= CLOSED;
    this.#opts.heartbeats?.remove(this);
    clearTimeout(this.#writeTimer);
    clearTimeout(this.#endTimer);
    this.#queue = null;
    this.#queuedBytes = 0;
    const res = this.#res;
    const sink = this.#sink;
    if (res !== undefined) {
      (res as Carrier)[kStream] = undefined;
      if ((sink as unknown) === res) res.off('drain', onDrain);
      // node:http may keep this connection for another request: our listener goes.
      if (sink !== undefined && (sink as unknown) !== res) {
        sink.off('drain', onDrain);
        (sink as Carrier)[kStream] = undefined;
      }
    } else if (sink !== undefined) {
      (sink as Carrier)[kStream] = undefined;
    }
    this.owner?.streamClosed(reason);
  }

  #block(): void {
    this.#flags |= BLOCKED;
    clearTimeout(this.#writeTimer);
    if (this.#opts.writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(closeStream, this.#opts.writeTimeoutMs, this, 'write_timeout');
      this.#writeTimer.unref();
    }
  }

  #drain(): void {
    if (this.closed) return;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    const queue = this.#queue;
    if (queue === null || queue.length === 0) {
      this.#flags &= ~BLOCKED;
      return;
    }
    // Everything that piled up goes out in one write: one syscall instead of one per event.
    const chunk = queue.length === 1 ? queue[0]! : Buffer.concat(queue, this.#queuedBytes);
    this.#queue = null;
    this.#queuedBytes = 0;
    const heartbeats = this.#opts.heartbeats;
    if (heartbeats !== undefined) this.beatTick = heartbeats.tick;
    if (this.#sink!.write(this.#wire(chunk))) this.#flags &= ~BLOCKED;
    else this.#block();
  }

  static {
    finishStream = (stream, reason) => stream.#finish(reason);
    drainStream = (stream) => stream.#drain();
  }
}

function onCarrierClose(this: Carrier): void {
  const stream = this[kStream];
  if (stream !== undefined) finishStream(stream, 'client');
}

function onResponseError(this: Carrier): void {
  const stream = this[kStream];
  if (stream !== undefined) finishStream(stream, 'error');
}

function onDrain(this: Carrier): void {
  const stream = this[kStream];
  if (stream !== undefined) drainStream(stream);
}

/** Nothing may follow the request on a raw stream's connection (see the constructor). */
function onRawInput(this: Socket): void {
  this.destroy();
}

function isResponse(transport: ServerResponse | Socket): transport is ServerResponse {
  return 'writeHead' in transport;
}

function closeStream(stream: SseStream, reason: CloseReason): void {
  stream.close(reason);
}

/** Past the linger after a graceful end: a raw socket is closed; a response only if unfinished. */
function lingerEnded(carrier: Socket | ServerResponse): void {
  if (carrier instanceof ServerResponse ? !carrier.writableFinished : !carrier.destroyed) carrier.destroy();
}

function ignore(): void {}

function isHttp10(res: ServerResponse): boolean {
  const req = res.req as ServerResponse['req'] | undefined;
  return req?.httpVersionMajor === 1 && req.httpVersionMinor === 0;
}

/**
 * The status line and headers node:http would write for `writeHead(200, headers)` on a chunked
 * keep-alive response: the given headers in order, then Date, then the transfer coding (none
 * for an HTTP/1.0 request, whose body the close ends). Every value goes through `headerValue`,
 * as node:http's do through `writeHead`.
 */
function responseHead(headers: Record<string, string>, closeDelimited: boolean): string {
  let head = 'HTTP/1.1 200 OK\r\n';
  for (const name in headers) {
    if (!isFieldName(name)) throw new Error(`not a header name: ${JSON.stringify(name)}`);
    head += `${name}: ${headerValue(headers[name]!)}\r\n`;
  }
  head += `Date: ${new Date().toUTCString()}\r\n`;
  return `${head}${closeDelimited ? '' : 'Transfer-Encoding: chunked\r\n'}\r\n`;
}
