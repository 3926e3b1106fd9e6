import { DEFAULT_HISTORY_SIZE } from '../defaults.js';
import { HubError } from '../errors.js';
import type { Update } from '../model/update.js';
import { mergeAscending } from './merge-ascending.js';
import { type HistoryFilter, type HistoryRead, type HistoryStore, withAt } from './store.js';

export interface MemoryStoreOptions {
  /** How many updates history keeps; older ones are dropped. Default DEFAULT_HISTORY_SIZE (defaults.ts). 0 keeps none. */
  readonly size?: number;
  /** Updates older than this are no longer replayed (`--history-max-age`). Default: no age limit. */
  readonly maxAgeMs?: number;
  /** Clock for age retention. Default Date.now. */
  readonly now?: () => number;
}

/** At most this many expired updates are dropped per append; reads hide the rest meanwhile. */
const TRIM_PER_APPEND = 64;
/**
 * A topic's position list drops its evicted front (a moving `head`) and is copied down only once
 * that front is this long and at least half the list: amortised O(1) per eviction.
 */
const COMPACT_AFTER = 1024;

/** Absolute positions of the updates carrying one topic, ascending; those before `head` are evicted. */
interface TopicPositions {
  positions: number[];
  head: number;
}

/**
 * History in a ring buffer, with an id index so a resume costs one map lookup, not a scan, and a
 * topic index (topic -> positions) so a filtered read (store.ts `HistoryFilter`) touches only the
 * updates it returns. Positions are absolute (monotonic); the ring holds those from `first` to
 * `next`, at most `size` of them.
 *
 * Age retention (`maxAgeMs`): each update keeps its append time (never lower than the previous
 * one's, so a binary search by age works); reads and `lastId` hide what is older, and appends drop
 * it from the front, a bounded number at a time.
 */
export class MemoryStore implements HistoryStore {
  readonly #size: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #ring: (Update | undefined)[];
  readonly #times: Float64Array;
  readonly #positionById = new Map<string, number>();
  readonly #positionsByTopic = new Map<string, TopicPositions>();
  /** Absolute position of the oldest update held. */
  #first = 0;
  /** Absolute position of the next append. */
  #next = 0;
  #lastTime = -Infinity;

  constructor(options: MemoryStoreOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.size ?? DEFAULT_HISTORY_SIZE));
    this.#maxAgeMs = options.maxAgeMs !== undefined && options.maxAgeMs > 0 ? options.maxAgeMs : Infinity;
    this.#now = options.now ?? Date.now;
    this.#ring = new Array(this.#size);
    this.#times = new Float64Array(this.#size);
  }

  async append(update: Update): Promise<void> {
    const now = this.#now();
    const existing = this.#positionById.get(update.id);
    // An id that left history (by count or by age) may be published again.
    if (existing !== undefined && existing >= this.#visibleFrom(now)) throw new HubError('duplicate_id');
    if (this.#size === 0) return;
    const oldest = now - this.#maxAgeMs;
    for (let n = 0; n < TRIM_PER_APPEND && this.#first < this.#next; n++) {
      if (this.#times[this.#first % this.#size]! >= oldest) break;
      this.#evictFirst();
    }
    if (this.#next - this.#first === this.#size) this.#evictFirst();
    const position = this.#next++;
    const slot = position % this.#size;
    this.#lastTime = Math.max(now, this.#lastTime);
    this.#ring[slot] = update;
    this.#times[slot] = this.#lastTime;
    this.#positionById.set(update.id, position);
    for (const topic of update.topics) {
      const entry = this.#positionsByTopic.get(topic);
      if (entry === undefined) this.#positionsByTopic.set(topic, { positions: [position], head: 0 });
      // A topic listed twice in one update is indexed once.
      else if (entry.positions[entry.positions.length - 1] !== position) entry.positions.push(position);
    }
  }

  /** Drops the oldest update held, from the ring and from both indexes. */
  #evictFirst(): void {
    const position = this.#first++;
    const slot = position % this.#size;
    const update = this.#ring[slot]!;
    this.#ring[slot] = undefined;
    // The id may have been published again since it expired: keep that mapping.
    if (this.#positionById.get(update.id) === position) this.#positionById.delete(update.id);
    for (const topic of update.topics) {
      const entry = this.#positionsByTopic.get(topic);
      if (entry === undefined) continue;
      // Evictions go in position order, so this update is at the front of each of its topics' lists.
      while (entry.head < entry.positions.length && entry.positions[entry.head]! <= position) entry.head++;
      if (entry.head === entry.positions.length) {
        this.#positionsByTopic.delete(topic);
      } else if (entry.head >= COMPACT_AFTER && entry.head * 2 >= entry.positions.length) {
        entry.positions = entry.positions.slice(entry.head);
        entry.head = 0;
      }
    }
  }

  /** The first position still in history: a binary search by age (append times never decrease). */
  #visibleFrom(now: number): number {
    let lo = this.#first;
    if (this.#maxAgeMs === Infinity) return lo;
    const oldest = now - this.#maxAgeMs;
    let hi = this.#next;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.#times[mid % this.#size]! >= oldest) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    const visibleFrom = this.#visibleFrom(this.#now());
    let from: number;
    let at: HistoryRead['at'];
    if (afterId === 'earliest') {
      from = visibleFrom;
    } else {
      const pos = this.#positionById.get(afterId);
      if (pos === undefined || pos < visibleFrom) return { found: false, updates: [], more: false };
      from = pos + 1;
      const named = this.#ring[pos % this.#size]!;
      at = { private: named.private, topics: named.topics };
    }
    const max = Math.max(0, Math.floor(limit));
    if (filter !== undefined) return withAt(this.#readTopics(from, max, filter), at);
    const to = Math.min(this.#next, from + max);
    const updates: Update[] = [];
    for (let p = from; p < to; p++) updates.push(this.#ring[p % this.#size]!);
    return withAt({ found: true, updates, more: to < this.#next }, at);
  }

  /** The first `max` updates from `from` on carrying one of the filter's topics: one merge of their position lists. */
  #readTopics(from: number, max: number, filter: HistoryFilter): HistoryRead {
    const sources: Iterable<number>[] = [];
    for (const topic of filter.topics) {
      const entry = this.#positionsByTopic.get(topic);
      if (entry === undefined) continue;
      const start = lowerBound(entry.positions, entry.head, from);
      if (start < entry.positions.length) sources.push(positionsFrom(entry.positions, start));
    }
    // One more than the page: whether any matching update follows it.
    const positions = mergeAscending(sources, max + 1);
    const updates: Update[] = [];
    for (let i = 0; i < positions.length && i < max; i++)
      updates.push(this.#ring[positions[i]! % this.#size]!);
    return { found: true, updates, more: positions.length > max };
  }

  async lastId(): Promise<string | undefined> {
    if (this.#size === 0 || this.#visibleFrom(this.#now()) >= this.#next) return undefined;
    return this.#ring[(this.#next - 1) % this.#size]?.id;
  }

  async close(): Promise<void> {}
}

/** Index of the first element of `sorted[lo..]` that is >= `value` (sorted.length when none). */
function lowerBound(sorted: readonly number[], lo: number, value: number): number {
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function* positionsFrom(sorted: readonly number[], start: number): Generator<number> {
  for (let i = start; i < sorted.length; i++) yield sorted[i]!;
}
