import { HubError } from '../errors.js';
import type { Update } from '../pubsub/update.js';
import type { HistoryRead, HistoryStore } from './store.js';

export interface MemoryStoreOptions {
  /** How many updates history keeps; older ones are dropped. Default 1000. 0 keeps none. */
  readonly size?: number;
}

/**
 * History in a ring buffer, with an id index so a resume costs one map lookup, not a scan.
 * Positions are absolute (monotonic), the ring keeps the last `size` of them.
 */
export class MemoryStore implements HistoryStore {
  readonly #size: number;
  readonly #ring: (Update | undefined)[];
  readonly #positionById = new Map<string, number>();
  /** Absolute position of the next append. */
  #next = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.size ?? 1000));
    this.#ring = new Array(this.#size);
  }

  async append(update: Update): Promise<void> {
    if (this.#positionById.has(update.id)) throw new HubError('duplicate_id');
    if (this.#size === 0) return;
    const slot = this.#next % this.#size;
    const evicted = this.#ring[slot];
    if (evicted !== undefined) this.#positionById.delete(evicted.id);
    this.#ring[slot] = update;
    this.#positionById.set(update.id, this.#next);
    this.#next++;
  }

  async readAfter(afterId: string, limit: number): Promise<HistoryRead> {
    const oldest = Math.max(0, this.#next - this.#size);
    let from: number;
    if (afterId === 'earliest') {
      from = oldest;
    } else {
      const pos = this.#positionById.get(afterId);
      if (pos === undefined) return { found: false, updates: [], more: false };
      from = pos + 1;
    }
    const to = Math.min(this.#next, from + Math.max(0, limit));
    const updates: Update[] = [];
    for (let p = from; p < to; p++) updates.push(this.#ring[p % this.#size]!);
    return { found: true, updates, more: to < this.#next };
  }

  async lastId(): Promise<string | undefined> {
    if (this.#next === 0 || this.#size === 0) return undefined;
    return this.#ring[(this.#next - 1) % this.#size]?.id;
  }

  async close(): Promise<void> {}
}
