import { grants, type Principal } from '../auth/principal.js';
import type { CloseReason, SseStream, StreamOwner } from '../stream/sse-stream.js';
import type { WriteCoalescer } from '../stream/write-coalescer.js';
import type { Selector } from './selector.js';
import type { Update } from './update.js';

/** What a subscriber reports its stream's end to: one per hub, shared by every subscriber. */
export interface SubscriberHost {
  closed(sub: Subscriber, reason: CloseReason): void;
}

/**
 * One connected subscriber: its selectors (routing), its token's grants (what private updates
 * it may read), and its stream. While it replays history, live updates are held in a bounded
 * buffer; after replay, the ones already replayed are skipped by id, so the seam between replay
 * and live has no gap and no duplicate.
 */
export class Subscriber implements StreamOwner {
  readonly id: string;
  readonly clientKey: string;
  readonly selectors: readonly Selector[];
  readonly principal: Principal | undefined;
  readonly stream: SseStream;
  /** Dispatch epoch of the last update delivered (the broker's de-duplication mark, no Set per event). */
  mark = 0;
  #held: Update[] | null = null;
  /** Held updates before this index are already written (release drains with flow control). */
  #heldAt = 0;
  #heldLimit = 0;
  #replayed: Set<string> | null = null;
  #replayedTimer: NodeJS.Timeout | undefined;
  readonly #host: SubscriberHost;

  constructor(init: {
    id: string;
    clientKey: string;
    selectors: readonly Selector[];
    principal: Principal | undefined;
    stream: SseStream;
    host: SubscriberHost;
  }) {
    this.id = init.id;
    this.clientKey = init.clientKey;
    this.selectors = init.selectors;
    this.principal = init.principal;
    this.stream = init.stream;
    this.#host = init.host;
    init.stream.owner = this;
  }

  /** Called once by the stream when it ends, whatever the reason. */
  streamClosed(reason: CloseReason): void {
    this.#host.closed(this, reason);
  }

  /** Private updates only reach tokens that grant `subscribe` on one of their topics (Mercure "Subscribers"). */
  canRead(update: Update): boolean {
    if (!update.private) return true;
    return this.principal !== undefined && grants(this.principal.subscribe, update.topics);
  }

  /** Routing: does one of this subscriber's selectors match one of the update's topics? */
  wants(update: Update): boolean {
    for (const s of this.selectors) for (const t of update.topics) if (s.matches(t)) return true;
    return false;
  }

  /** Called by the broker for matching updates it may read (canRead); false once the stream is gone. */
  deliver(update: Update, coalescer: WriteCoalescer): boolean {
    if (this.#held !== null) {
      if (this.#held.length - this.#heldAt >= this.#heldLimit) {
        this.stream.close('slow_consumer');
        return false;
      }
      this.#held.push(update);
      return true;
    }
    if (this.#replayed?.has(update.id)) return true;
    if (this.stream.closed) return false;
    coalescer.enqueue(this.stream, update.chunk);
    return true;
  }

  /** Starts holding live updates (before history is read). */
  hold(limit: number): void {
    this.#held = [];
    this.#heldAt = 0;
    this.#heldLimit = limit;
  }

  /**
   * Ends replay: `replayed` are the ids written from history. Held updates not among them are
   * newer than all of history that was read (one total order), so they follow in order. The ids
   * stay known for `graceMs` in case a replayed update's live broadcast is still on its way
   * (stored, but not yet broadcast by this node). Held updates are written with flow control,
   * still holding what arrives meanwhile, so a backlog above the queue bound is no drop.
   */
  async release(replayed: Set<string>, graceMs: number): Promise<void> {
    const held = this.#held ?? [];
    while (this.#heldAt < held.length) {
      const u = held[this.#heldAt++]!;
      if (replayed.has(u.id)) continue;
      if (!this.stream.write(u.chunk)) return;
      if (this.stream.blocked) await this.stream.whenWritable();
      if (this.stream.closed) return;
    }
    this.#held = null;
    if (replayed.size === 0) return;
    this.#replayed = replayed;
    this.#replayedTimer = setTimeout(() => {
      this.#replayed = null;
    }, graceMs);
    this.#replayedTimer.unref();
  }

  dispose(): void {
    clearTimeout(this.#replayedTimer);
    this.#held = null;
    this.#replayed = null;
  }
}
