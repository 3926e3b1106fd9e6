import type { CloseReason, Framing, Opening, Sink, SinkOwner } from './sink.js';

/** The hub-wide heartbeat scheduler as a sink sees it (stream/heartbeats.ts). */
export interface HeartbeatClock {
  /** Current tick: stored on every write, so real traffic postpones the next heartbeat. */
  readonly tick: number;
  add(sink: FlowControlledSink): void;
  remove(sink: FlowControlledSink): void;
}

export interface FlowControlOptions {
  /** Heartbeats after a period of silence, shared by the hub's sinks; none: no heartbeat. */
  readonly heartbeats?: HeartbeatClock | undefined;
  /** Bound of the queue kept while the transport does not drain. */
  readonly maxQueueBytes: number;
  readonly maxQueueEvents: number;
  /** The transport must drain within this many ms once it pushed back; 0: no limit. */
  readonly writeTimeoutMs: number;
}

/** States of a sink (bits of one small integer, not three fields). */
const BLOCKED = 1;
const OPENED = 2;
const CLOSED = 4;

/**
 * Backpressure for any transport (the `Sink` contract): frames are written as-is (encoded once
 * per update and shared by every subscriber); when the transport's write returns false the sink
 * stops writing and queues, bounded in bytes and events, and writes the whole queue as one
 * write once the transport drains. A subscriber that overflows its queue, or whose transport
 * does not drain within the write timeout, is dropped: it reconnects with Last-Event-ID and
 * resumes from history, so nothing is lost and nobody else waits for it.
 *
 * A transport extends this with `send` and `sendAsIs` (hand frames, or its head, to the
 * transport: false when it pushes back), `open`, `close`, `destroy` and `released`, calls
 * `opened()` once its head is out, and `drained()` and `ended(reason)` from its events.
 */
export abstract class FlowControlledSink implements Sink {
  owner: SinkOwner | undefined;
  /** Heartbeats' bookkeeping (stream/heartbeats.ts `HeartbeatStream`). */
  beatIndex = -1;
  beatTick = 0;
  readonly #opts: FlowControlOptions;
  /** Frames held while blocked (allocated then only). */
  #queue: Buffer[] | null = null;
  #queuedBytes = 0;
  /** BLOCKED until opened(): frames written before the head wait in the queue. */
  #flags = BLOCKED;
  #writeTimer: NodeJS.Timeout | undefined;
  /** `whenWritable()` callers (a replay waiting for its client to read); null: none. */
  #waiters: (() => void)[] | null = null;

  constructor(opts: FlowControlOptions) {
    this.#opts = opts;
  }

  abstract get framing(): Framing;
  abstract open(opening: Opening): void;
  abstract close(reason: CloseReason): void;
  abstract destroy(): void;
  /** Hands frames to the transport; false when it pushes back (a `drained()` follows). */
  protected abstract send(frames: Buffer): boolean;
  /** Hands bytes to the transport as they are (its head); false when it pushes back. */
  protected abstract sendAsIs(bytes: Buffer): boolean;

  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  get blocked(): boolean {
    return (this.#flags & BLOCKED) !== 0;
  }

  /** Opened and not closed: the head went out (graceful ends write a last frame only then). */
  protected get isOpen(): boolean {
    return (this.#flags & (OPENED | CLOSED)) === OPENED;
  }

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
    if (!this.send(frame)) this.#block();
    return true;
  }

  whenWritable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters ??= [];
      this.#waiters.push(resolve);
    });
  }

  /**
   * A comment (or the framing's heartbeat) after a period of silence. None while the transport
   * pushes back: the queue goes first, and the write timeout decides about a client that does
   * not read.
   */
  heartbeat(): void {
    const beat = this.framing.heartbeat;
    if (this.#flags === OPENED && beat !== undefined) this.write(beat);
  }

  /**
   * The transport's head is out: `first` (head and preamble, or the preamble, as the transport
   * writes them) goes now, then whatever was written before. Starts heartbeats.
   */
  protected opened(first: Buffer | undefined): void {
    this.#flags = OPENED;
    const early = this.#queue;
    this.#queue = null;
    this.#queuedBytes = 0;
    this.#opts.heartbeats?.add(this);
    if (first !== undefined && !this.sendAsIs(first)) this.#block();
    if (early !== null) for (const chunk of early) this.write(chunk);
    // A replay may have started before the head could go (SseResponseSink waiting for its turn on
    // a kept-alive connection) and be waiting for a sink that was blocked only because unopened.
    if (!this.blocked) this.#wake();
  }

  /**
   * The transport pushed back on bytes it was handed outside `send` (a transport that held them
   * writes them later, h2-stream-sink.ts `release`): the sink blocks as if `send` had returned
   * false, until `drained()`.
   */
  protected pushedBack(): void {
    if (this.#flags === OPENED) this.#block();
  }

  /** Ends the sink without reporting it (the transport gives its connection back unanswered). */
  protected discard(): void {
    this.#flags = CLOSED;
    this.#queue = null;
    this.#queuedBytes = 0;
  }

  /** Called by the transport when it drained: the queue goes out as one write. */
  drained(): void {
    if (this.closed) return;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    const queue = this.#queue;
    if (queue === null || queue.length === 0) {
      this.#flags &= ~BLOCKED;
      this.#wake();
      return;
    }
    // Everything that piled up goes out in one write: one syscall instead of one per event.
    const chunk = queue.length === 1 ? queue[0]! : Buffer.concat(queue, this.#queuedBytes);
    this.#queue = null;
    this.#queuedBytes = 0;
    const heartbeats = this.#opts.heartbeats;
    if (heartbeats !== undefined) this.beatTick = heartbeats.tick;
    if (this.send(chunk)) {
      this.#flags &= ~BLOCKED;
      this.#wake();
    } else this.#block();
  }

  /**
   * The sink has ended (called by `close`, or by the transport when its client went): stops
   * timers and heartbeats, then tells the owner, once. True the first time.
   */
  ended(reason: CloseReason): boolean {
    if (this.closed) return false;
    this.#flags |= CLOSED;
    this.#opts.heartbeats?.remove(this);
    clearTimeout(this.#writeTimer);
    this.#queue = null;
    this.#queuedBytes = 0;
    this.#wake();
    this.released();
    this.owner?.sinkClosed(reason);
    return true;
  }

  /** The transport drops its listeners and references to this sink (it has ended). */
  protected abstract released(): void;

  /** How long a transport may take to finish a graceful end before its connection is closed (ms). */
  protected get lingerMs(): number {
    return this.#opts.writeTimeoutMs || 30_000;
  }

  #block(): void {
    this.#flags |= BLOCKED;
    clearTimeout(this.#writeTimer);
    if (this.#opts.writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(closeSink, this.#opts.writeTimeoutMs, this, 'write_timeout');
      this.#writeTimer.unref();
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const resolve of waiters) resolve();
  }
}

function closeSink(sink: Sink, reason: CloseReason): void {
  sink.close(reason);
}
