import type { Update } from '../model/update.js';
import type { Framing } from '../stream/sink.js';
import type { Subscriber } from './subscriber.js';

/**
 * Per-tick write coalescing. The cost of fan-out is the write, not the bytes (a `write(2)` of
 * one small frame costs about as much as one of ten, and an HTTP/2 stream's write costs a
 * write request and its completion callback in node:http2 whatever its size), so frames
 * dispatched in the same event-loop turn are held and written at the end of the turn, one
 * write per subscriber.
 *
 * The common case costs no allocation per subscriber: a subscriber that received every update
 * of the turn is written the turn's bytes concatenated once and shared by all such subscribers
 * (encode once, write the same bytes to everyone). While a subscriber has received every update
 * so far, only a count is kept (`pendingCount`); a list of its own (`pendingList`) is made the
 * first time it misses one, and it is then written its own concatenation.
 *
 * There are two shared concatenations, each made at most once per turn and only when a
 * subscriber needs it: of `update.chunk`s (SSE as HTTP/1.1 chunks, stream/sink.ts
 * `sharesUpdateChunk`) and of `update.frame`s (SSE on an HTTP/2 stream, `sharesUpdateFrame`).
 * A subscriber whose sink frames updates otherwise (a WebSocket, a long poll) keeps its own list
 * of `framing.event(update)`, which that framing encodes once per update.
 */
export class WriteCoalescer {
  #updates: Update[] = [];
  #chunkBytes = 0;
  #dirty: Subscriber[] = [];
  /** Sinks held (`Sink.hold`) at the previous flush: released at this one, after its writes. */
  #held: Subscriber[] = [];
  #scheduled = false;
  readonly #flush = () => this.flush();

  /** Registers an update for this turn (once per update, before it is enqueued to subscribers). */
  begin(update: Update): void {
    this.#updates.push(update);
    this.#chunkBytes += update.chunk.length;
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
      if (!shares(framing)) {
        sub.pendingList = [framing.event(update)];
        return;
      }
    }
    if (list !== null) list.push(sub.sink.framing.event(update));
    // Each update reaches a subscriber at most once and in dispatch order: one that has had
    // every earlier update of the turn has had exactly the first `count` of them.
    else if (count !== this.#updates.length - 1) {
      const { framing } = sub.sink;
      const had = this.#updates.slice(0, count).map((u) => framing.event(u));
      had.push(framing.event(update));
      sub.pendingList = had;
    }
  }

  /** Writes everything queued this turn. */
  flush(): void {
    this.#scheduled = false;
    const updates = this.#updates;
    const dirty = this.#dirty;
    const chunkBytes = this.#chunkBytes;
    this.#updates = [];
    this.#chunkBytes = 0;
    const held = this.#held;
    this.#held = [];
    for (const sub of held) sub.held = true;
    this.#dirty = [];
    let chunks: Buffer | undefined;
    let frames: Buffer | undefined;
    for (const sub of dirty) {
      const list = sub.pendingList;
      const count = sub.pendingCount;
      sub.pendingList = null;
      sub.pendingCount = 0;
      const { framing } = sub.sink;
      let bytes: Buffer;
      if (list !== null) bytes = list.length === 1 ? list[0]! : Buffer.concat(list);
      else if (count === 1) bytes = framing.event(updates[0]!);
      else if (count !== updates.length)
        bytes = Buffer.concat(updates.slice(0, count).map((u) => framing.event(u)));
      else if (framing.sharesUpdateChunk) {
        chunks ??= Buffer.concat(
          updates.map((u) => u.chunk),
          chunkBytes,
        );
        bytes = chunks;
      } else {
        frames ??= Buffer.concat(updates.map((u) => u.frame));
        bytes = frames;
      }
      const sink = sub.sink;
      if (!sub.held && sink.hold !== undefined) {
        sink.hold();
        this.#held.push(sub);
      }
      sink.write(bytes);
    }
    for (const sub of held) {
      sub.held = false;
      sub.sink.release?.();
    }
    // The sinks held now are released at the next turn's flush, or by this one if none comes.
    if (this.#held.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }
}

/** Whether the broker may write `framing`'s sinks one of the turn's shared concatenations. */
function shares(framing: Framing): boolean {
  return framing.sharesUpdateChunk || framing.sharesUpdateFrame === true;
}
