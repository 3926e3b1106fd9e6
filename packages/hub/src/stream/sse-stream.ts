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

/**
 * One SSE response. Frames are written as-is (they are encoded once per update and shared by
 * every subscriber); when `write()` returns false the stream stops writing and queues, bounded
 * in bytes and events, and writes the whole queue as one chunk on `drain`. A subscriber that
 * overflows its queue or does not drain in time is dropped: it reconnects with Last-Event-ID
 * and resumes from history, so nothing is lost and nobody else waits for it.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #opts: SseStreamOptions;
  readonly #now: () => number;
  readonly #onClose: (reason: CloseReason) => void;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  /** Blocked until open(): frames written before the headers wait in the queue. */
  #blocked = true;
  #closed = false;
  #lastWrite = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #endTimer: NodeJS.Timeout | undefined;
  #endAt = Number.POSITIVE_INFINITY;
  /** The socket, once headers are out: frames bypass ServerResponse. */
  #sink: Socket | undefined;

  constructor(res: ServerResponse, opts: SseStreamOptions, onClose: (reason: CloseReason) => void) {
    this.#res = res;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#onClose = onClose;
    res.on('close', () => this.#finish('client'));
    res.on('error', () => this.#finish('error'));
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
    const socket = this.#res.socket;
    if (socket === null) {
      this.#finish('client');
      return;
    }
    // Nagle would hold small frames for up to 40 ms waiting for an ACK.
    socket.setNoDelay(true);
    this.#res.writeHead(200, headers);
    this.#res.flushHeaders();
    if (!this.#res.chunkedEncoding) {
      // Only chunked bodies can be written past ServerResponse (our chunks are pre-framed).
      this.#finish('error');
      this.#res.destroy();
      return;
    }
    this.#sink = socket;
    socket.on('drain', () => this.#drain());
    const early = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#blocked = false;
    if (preamble !== undefined && preamble.length > 0) this.write(toChunk(preamble));
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
      const done = () => {
        sink.off('drain', check);
        this.#res.off('close', done);
        resolve();
      };
      // Our own drain handler runs first (registered at open) and flushes the queue.
      const check = () => {
        if (!this.#blocked) done();
      };
      sink.on('drain', check);
      this.#res.on('close', done);
    });
  }

  /** Ends the stream at `at` (ms, same clock as `now`): token expiry, maximum lifetime. The earliest call wins. */
  endAt(at: number, reason: CloseReason): void {
    if (at >= this.#endAt || this.#closed) return;
    this.#endAt = at;
    const delay = Math.max(0, at - this.#now());
    clearTimeout(this.#endTimer);
    this.#endTimer = setTimeout(() => this.close(reason), Math.min(delay, 2 ** 31 - 1));
    this.#endTimer.unref();
  }

  /**
   * Ends the stream. A graceful end (lifetime, token, shutdown) writes the terminating chunk, so
   * EventSource reconnects; a dropped slow consumer is destroyed, since its socket cannot drain.
   */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error') this.#res.destroy();
    else {
      this.#res.end();
      // The terminating chunk waits behind what the socket holds: a client that never reads
      // would keep the connection, and its descriptor, forever and outside every subscriber
      // cap. It gets the write timeout to take it, like any blocked write.
      if (this.#blocked) {
        const linger = setTimeout(() => this.#res.destroy(), this.#opts.writeTimeoutMs || 30_000);
        linger.unref();
        this.#res.once('close', () => clearTimeout(linger));
      }
    }
    this.#finish(reason);
  }

  #finish(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#heartbeat);
    clearTimeout(this.#writeTimer);
    clearTimeout(this.#endTimer);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#onClose(reason);
  }

  #block(): void {
    this.#blocked = true;
    clearTimeout(this.#writeTimer);
    if (this.#opts.writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(() => this.close('write_timeout'), this.#opts.writeTimeoutMs);
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
}
