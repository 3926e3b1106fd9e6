import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { toChunk } from './chunk.js';
import { encodeComment } from './encode-event.js';

export type CloseReason =
  | 'client'
  | 'slow_consumer'
  | 'write_timeout'
  | 'lifetime'
  | 'token_expired'
  | 'shutdown'
  | 'error';

export interface SseStreamOptions {
  /** Comment heartbeat after this much silence (ms); 0 disables. Real traffic resets it. */
  readonly heartbeatMs: number;
  /** Bound of the queue kept while the socket does not drain. */
  readonly maxQueueBytes: number;
  readonly maxQueueEvents: number;
  /** The socket must drain within this many ms once it pushed back. */
  readonly writeTimeoutMs: number;
  readonly now?: () => number;
}

const HEARTBEAT = toChunk(encodeComment());
/** Told once when the stream ends (the subscriber that owns it). */
export interface StreamOwner {
  streamClosed(reason: CloseReason): void;
}

/** The last chunk of a chunked body (RFC 9112 7.1): a clean end, distinguishable from a reset. */
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** Where a socket or response finds its stream: listeners are shared functions, not closures. */
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
export class SseStream {
  /** node:http path only. */
  readonly #res: ServerResponse | undefined;
  readonly #opts: SseStreamOptions;
  readonly #now: () => number;
  /** Told when the stream ends; set by the subscriber that owns the stream. */
  owner: StreamOwner | undefined;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  /** Blocked until open(): frames written before the headers wait in the queue. */
  #blocked = true;
  #closed = false;
  #opened = false;
  #lastWrite = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #endTimer: NodeJS.Timeout | undefined;
  #endAt = Number.POSITIVE_INFINITY;
  /** The socket frames are written to: from the start on a raw socket, once headers are out otherwise. */
  #sink: Socket | undefined;

  /** Over a node:http response (`transport` a ServerResponse) or a raw socket that has sent its request head. */
  constructor(transport: ServerResponse | Socket, opts: SseStreamOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    const carrier = transport as Carrier;
    carrier[kStream] = this;
    if (isResponse(transport)) {
      this.#res = transport;
      transport.on('close', onCarrierClose);
      transport.on('error', onResponseError);
    } else {
      this.#sink = transport;
      transport.on('close', onCarrierClose);
      transport.on('error', ignore);
      // Nothing may follow the request on a stream's connection: a pipelined request could never
      // be answered, and a half-closed client is gone (as node:http treats it).
      transport.on('data', onRawInput);
      transport.on('end', onRawInput);
      transport.on('drain', onDrain);
    }
  }

  /** Frames handed over by the WriteCoalescer during this tick, written together at its flush. */
  readonly pending: Buffer[] = [];

  get closed(): boolean {
    return this.#closed;
  }

  /** True while the socket pushes back and frames are queued: a backlog writer should await `whenWritable()`. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Sends the status line and headers now (so a client publishing on `open` cannot race us), then `preamble`. */
  open(headers: Record<string, string>, preamble?: Buffer): void {
    if (this.#closed) return;
    const res = this.#res;
    let first: Buffer | undefined;
    if (res === undefined) {
      const socket = this.#sink!;
      if (socket.destroyed) {
        this.#finish('client');
        return;
      }
      socket.setNoDelay(true);
      // The head and the preamble leave in one write.
      const head = Buffer.from(responseHead(headers), 'latin1');
      first = preamble !== undefined && preamble.length > 0 ? Buffer.concat([head, toChunk(preamble)]) : head;
    } else {
      const socket = res.socket;
      if (socket === null) {
        this.#finish('client');
        return;
      }
      // Nagle would hold small frames for up to 40 ms waiting for an ACK.
      socket.setNoDelay(true);
      res.writeHead(200, headers);
      res.flushHeaders();
      if (!res.chunkedEncoding) {
        // Only chunked bodies can be written past ServerResponse (our chunks are pre-framed).
        this.#finish('error');
        res.destroy();
        return;
      }
      this.#sink = socket;
      (socket as Carrier)[kStream] = this;
      socket.on('drain', onDrain);
      if (preamble !== undefined && preamble.length > 0) first = toChunk(preamble);
    }
    this.#opened = true;
    const early = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#blocked = false;
    if (first !== undefined) this.write(first);
    else this.#lastWrite = this.#now();
    for (const chunk of early) this.write(chunk);
    this.#armHeartbeat(this.#opts.heartbeatMs);
  }

  /**
   * Writes (or queues) bytes that are one or more complete HTTP chunks (`Update.chunk`, or
   * `toChunk()` of a frame); false when the stream is closed or was just dropped. Written to the
   * socket directly: ServerResponse would frame (and cork) every call again.
   */
  write(frame: Buffer): boolean {
    if (this.#closed) return false;
    if (this.#blocked) {
      if (
        this.#queue.length >= this.#opts.maxQueueEvents ||
        this.#queuedBytes + frame.length > this.#opts.maxQueueBytes
      ) {
        this.close('slow_consumer');
        return false;
      }
      this.#queue.push(frame);
      this.#queuedBytes += frame.length;
      return true;
    }
    this.#lastWrite = this.#now();
    if (!this.#sink!.write(frame)) this.#block();
    return true;
  }

  /** Resolves once nothing is queued (used by replay, which may write more than the queue bound). */
  whenWritable(): Promise<void> {
    if (!this.#blocked || this.#closed) return Promise.resolve();
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
        if (!this.#blocked) done();
      };
      sink.on('drain', check);
      closer.on('close', done);
    });
  }

  /** Ends the stream at `at` (ms, same clock as `now`): token expiry, maximum lifetime. The earliest call wins. */
  endAt(at: number, reason: CloseReason): void {
    if (at >= this.#endAt || this.#closed) return;
    this.#endAt = at;
    const delay = Math.max(0, at - this.#now());
    clearTimeout(this.#endTimer);
    this.#endTimer = setTimeout(closeStream, Math.min(delay, 2 ** 31 - 1), this, reason);
    this.#endTimer.unref();
  }

  /**
   * Ends the stream. A graceful end (lifetime, token, shutdown) writes the terminating chunk, so
   * EventSource reconnects; a dropped slow consumer is destroyed, since its socket cannot drain.
   */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    const res = this.#res;
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error') this.#destroy();
    // A raw stream that has not sent its head has no body to end.
    else if (res === undefined && !this.#opened) this.#destroy();
    else {
      if (res !== undefined) res.end();
      // A raw stream's connection closes after its last chunk (a server may close after any
      // complete response, RFC 9112 9.6): node:http, which would read a next request, never
      // saw this connection.
      else this.#sink!.end(LAST_CHUNK);
      // The terminating chunk waits behind what the socket holds: a client that never reads
      // would keep the connection, and its descriptor, forever and outside every subscriber
      // cap. It gets the write timeout to take it, like any blocked write.
      if (this.#blocked) {
        const linger = setTimeout(destroyCarrier, this.#opts.writeTimeoutMs || 30_000, res ?? this.#sink!);
        linger.unref();
      }
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
    const sink = this.#sink;
    if (this.#opened || this.#closed || this.#res !== undefined || sink === undefined) return;
    this.#closed = true;
    clearTimeout(this.#endTimer);
    this.#queue = [];
    this.#queuedBytes = 0;
    sink.off('close', onCarrierClose);
    sink.off('error', ignore);
    sink.off('data', onRawInput);
    sink.off('end', onRawInput);
    sink.off('drain', onDrain);
    (sink as Carrier)[kStream] = undefined;
  }

  #destroy(): void {
    if (this.#res !== undefined) this.#res.destroy();
    else this.#sink?.destroy();
  }

  #finish(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#heartbeat);
    clearTimeout(this.#writeTimer);
    clearTimeout(this.#endTimer);
    this.#queue = [];
    this.#queuedBytes = 0;
    const res = this.#res;
    const sink = this.#sink;
    if (res !== undefined) {
      (res as Carrier)[kStream] = undefined;
      // node:http may keep this connection for another request: our listener goes.
      if (sink !== undefined) {
        sink.off('drain', onDrain);
        (sink as Carrier)[kStream] = undefined;
      }
    } else if (sink !== undefined) {
      (sink as Carrier)[kStream] = undefined;
    }
    this.owner?.streamClosed(reason);
  }

  #block(): void {
    this.#blocked = true;
    clearTimeout(this.#writeTimer);
    if (this.#opts.writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(closeStream, this.#opts.writeTimeoutMs, this, 'write_timeout');
      this.#writeTimer.unref();
    }
  }

  #drain(): void {
    if (this.#closed) return;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.#queue.length === 0) {
      this.#blocked = false;
      return;
    }
    // Everything that piled up goes out in one write: one syscall instead of one per event.
    const chunk = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queuedBytes);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#lastWrite = this.#now();
    if (this.#sink!.write(chunk)) this.#blocked = false;
    else this.#block();
  }

  #armHeartbeat(delay: number): void {
    const every = this.#opts.heartbeatMs;
    if (every <= 0 || this.#closed) return;
    this.#heartbeat = setTimeout(() => {
      const idle = this.#now() - this.#lastWrite;
      if (idle >= every) {
        this.write(HEARTBEAT);
        // Jitter spreads the heartbeats of streams opened together (e.g. after a restart).
        this.#armHeartbeat(every * (0.9 + Math.random() * 0.1));
      } else {
        this.#armHeartbeat(every - idle);
      }
    }, delay);
    this.#heartbeat.unref();
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

function destroyCarrier(carrier: Socket | ServerResponse): void {
  carrier.destroy();
}

function ignore(): void {}

/**
 * The status line and headers node:http would write for `writeHead(200, headers)` on a chunked
 * keep-alive response: the given headers in order, then Date, then the transfer coding.
 */
function responseHead(headers: Record<string, string>): string {
  let head = 'HTTP/1.1 200 OK\r\n';
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return `${head}Date: ${new Date().toUTCString()}\r\nTransfer-Encoding: chunked\r\n\r\n`;
}
