import type { Update } from '../model/update.js';
import type { Subscriber } from './subscriber.js';

/**
 * Per-tick write coalescing. The cost of fan-out is the write syscall, not the bytes (a
 * `write(2)` of one small frame costs about as much as one of ten), so frames dispatched in the
 * same event-loop turn are held and written at the end of the turn, one write per subscriber.
 *
 * The common case costs no allocation per subscriber: a subscriber that received every frame of
 * the turn is written the turn's frames concatenated once and shared by all such subscribers
 * (encode once, write the same bytes to everyone). While a subscriber has received every frame
 * so far, only a count is kept (`pendingCount`); a list of its own (`pendingList`) is made the
 * first time it misses one, and it is then written its own concatenation.
 *
 * That shared concatenation is of `update.chunk`s (SSE, stream/sink.ts `sharesUpdateChunk`).
 * A subscriber whose sink frames updates otherwise (a WebSocket, a long poll) keeps its own list
 * of `framing.event(update)`, which that framing encodes once per update.
 */
export class WriteCoalescer {
  #frames: Buffer[] = [];
  #bytes = 0;
  #dirty: Subscriber[] = [];
  #scheduled = false;
  readonly #flush = () => this.flush();

  /** Registers an update's chunk for this turn (once per update, before it is enqueued to subscribers). */
  begin(update: Update): void {
    const frame = update.chunk;
    this.#frames.push(frame);
    this.#bytes += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Queues `update`, the one registered by the latest begin(), for `sub`. */
  enqueue(sub: Subscriber, update: Update): void {
    const count = sub.pendingCount++;
    const list = sub.pendingList;
    if (count === 0) {
      this.#dirty.push(sub);
      // A framing of its own: a list from its first update of the turn on (looked at once per
      // turn, not per update: the common case below stays a count).
      const { framing } = sub.sink;
      if (!framing.sharesUpdateChunk) {
        sub.pendingList = [framing.event(update)];
        return;
      }
    }
    if (list !== null) {
      const { framing } = sub.sink;
      list.push(framing.sharesUpdateChunk ? update.chunk : framing.event(update));
    }
    // Each update reaches a subscriber at most once and in dispatch order: one that has had
    // every earlier frame of the turn has had exactly the first `count` of them.
    else if (count !== this.#frames.length - 1)
      sub.pendingList = [...this.#frames.slice(0, count), update.chunk];
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
    for (const sub of dirty) {
      const list = sub.pendingList;
      const count = sub.pendingCount;
      sub.pendingList = null;
      sub.pendingCount = 0;
      let bytes: Buffer;
      if (list !== null) bytes = list.length === 1 ? list[0]! : Buffer.concat(list);
      else if (count === frames.length) bytes = all;
      else bytes = count === 1 ? frames[0]! : Buffer.concat(frames.slice(0, count));
      sub.sink.write(bytes);
    }
  }
}
