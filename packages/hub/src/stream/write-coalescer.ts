import type { SseStream } from './sse-stream.js';

/**
 * Per-tick write coalescing. The cost of fan-out is the write syscall, not the bytes (a
 * `write(2)` of one small frame costs about as much as one of ten), so frames dispatched in the
 * same event-loop turn are held and written at the end of the turn, one write per subscriber.
 *
 * The common case costs no allocation per subscriber: a subscriber that received every frame of
 * the turn is written the turn's frames concatenated once and shared by all such subscribers
 * (encode once, write the same bytes to everyone). Others get their own concatenation.
 */
export class WriteCoalescer {
  #frames: Buffer[] = [];
  #bytes = 0;
  #dirty: SseStream[] = [];
  #scheduled = false;
  readonly #flush = () => this.flush();

  /** Registers an update's chunk for this turn (once per update, before it is enqueued to subscribers). */
  begin(frame: Buffer): void {
    this.#frames.push(frame);
    this.#bytes += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Queues `frame` (registered with begin() this turn) for `stream`. */
  enqueue(stream: SseStream, frame: Buffer): void {
    if (stream.pending.push(frame) === 1) this.#dirty.push(stream);
  }

  /** Writes everything queued this turn. */
  flush(): void {
    this.#scheduled = false;
    const frames = this.#frames;
    const dirty = this.#dirty;
    if (dirty.length === 0) {
      this.#frames = [];
      this.#bytes = 0;
      return;
    }
    const all = frames.length === 1 ? frames[0]! : Buffer.concat(frames, this.#bytes);
    this.#frames = [];
    this.#bytes = 0;
    this.#dirty = [];
    for (const stream of dirty) {
      const p = stream.pending;
      // Each update reaches a subscriber at most once and in dispatch order, so a subscriber
      // with as many frames as the turn has got exactly the turn's bytes.
      const bytes = p.length === frames.length ? all : p.length === 1 ? p[0]! : Buffer.concat(p);
      p.length = 0;
      stream.write(bytes);
    }
  }
}
