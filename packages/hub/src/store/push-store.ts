import { HubError } from '../errors.js';
import { exactTopics, type PushRecord } from './push-record.js';

/** The bounds a `put` enforces (limits.ts: maxPushSubscriptions, maxPushSubscriptionsPerSubscriber). */
export interface PushBounds {
  readonly maxTotal: number;
  readonly maxPerOwner: number;
}

/**
 * Where the hub keeps Web Push subscriptions: as durable as its history and shared as widely
 * (memory, the embedded LMDB store, Redis for a cluster). One contract for all of them
 * (packages/test-support/src/push-store-contract.ts).
 */
export interface PushStore {
  /**
   * Adds the record, or replaces the one with its id (same endpoint). Rejects with
   * too_many_push_subscriptions when the store holds `maxTotal` others, and with
   * too_many_push_subscriptions_subscriber when its owner holds `maxPerOwner` others; the check
   * and the write are one atomic step, so concurrent registrations cannot overshoot.
   */
  put(record: PushRecord, bounds: PushBounds): Promise<void>;
  get(id: string): Promise<PushRecord | undefined>;
  /**
   * True when there was such a record. With `createdAt`, only the record made then is removed:
   * a record found stale must not take a registration of the same endpoint made since with it.
   */
  remove(id: string, createdAt?: number): Promise<boolean>;
  /**
   * Every record that may select one of `topics`: those with one of them as an exact selector,
   * and every record with a pattern or `*` (the caller matches those). Never a scan of the
   * exact-topic records of other topics.
   */
  candidates(topics: readonly string[]): Promise<PushRecord[]>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The bound a record would break, or undefined. `current` is the record with its id, if kept. */
export function boundBroken(
  bounds: PushBounds,
  total: number,
  ownerCount: number,
  current: PushRecord | undefined,
  record: PushRecord,
): HubError | undefined {
  const replacing = current !== undefined;
  const sameOwner = replacing && current.owner === record.owner;
  if (!replacing && total >= bounds.maxTotal) {
    return new HubError(
      'too_many_push_subscriptions',
      `the hub keeps at most ${bounds.maxTotal} push subscriptions`,
    );
  }
  if (!sameOwner && ownerCount >= bounds.maxPerOwner) {
    return new HubError(
      'too_many_push_subscriptions_subscriber',
      `at most ${bounds.maxPerOwner} push subscriptions per subscriber`,
    );
  }
  return undefined;
}

/**
 * Records by exact topic, the others (patterns, `*`) in one set, and counts per owner: what the
 * memory and LMDB stores answer `candidates` and the bounds from (all in memory: the total is
 * bounded by `maxPushSubscriptions`).
 */
export class PushIndex {
  readonly #byId = new Map<string, PushRecord>();
  readonly #byTopic = new Map<string, Set<string>>();
  readonly #evaluated = new Set<string>();
  readonly #perOwner = new Map<string, number>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): PushRecord | undefined {
    return this.#byId.get(id);
  }

  ownerCount(owner: string): number {
    return this.#perOwner.get(owner) ?? 0;
  }

  check(record: PushRecord, bounds: PushBounds): void {
    const err = boundBroken(bounds, this.size, this.ownerCount(record.owner), this.get(record.id), record);
    if (err !== undefined) throw err;
  }

  set(record: PushRecord): void {
    this.delete(record.id);
    this.#byId.set(record.id, record);
    this.#perOwner.set(record.owner, this.ownerCount(record.owner) + 1);
    const topics = exactTopics(record);
    if (topics === undefined) {
      this.#evaluated.add(record.id);
      return;
    }
    for (const t of topics) {
      let ids = this.#byTopic.get(t);
      if (ids === undefined) {
        ids = new Set();
        this.#byTopic.set(t, ids);
      }
      ids.add(record.id);
    }
  }

  delete(id: string, createdAt?: number): boolean {
    const record = this.#byId.get(id);
    if (record === undefined || (createdAt !== undefined && record.createdAt !== createdAt)) return false;
    this.#byId.delete(id);
    const n = this.ownerCount(record.owner) - 1;
    if (n <= 0) this.#perOwner.delete(record.owner);
    else this.#perOwner.set(record.owner, n);
    this.#evaluated.delete(id);
    for (const t of exactTopics(record) ?? []) {
      const ids = this.#byTopic.get(t);
      if (ids?.delete(id) && ids.size === 0) this.#byTopic.delete(t);
    }
    return true;
  }

  candidates(topics: readonly string[]): PushRecord[] {
    const ids = new Set(this.#evaluated);
    for (const t of topics) for (const id of this.#byTopic.get(t) ?? []) ids.add(id);
    const out: PushRecord[] = [];
    for (const id of ids) {
      const r = this.#byId.get(id);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  values(): IterableIterator<PushRecord> {
    return this.#byId.values();
  }
}

/** Push subscriptions in memory: the default of a hub whose history is in memory. Lost at exit. */
export class MemoryPushStore implements PushStore {
  readonly #index = new PushIndex();

  async put(record: PushRecord, bounds: PushBounds): Promise<void> {
    this.#index.check(record, bounds);
    this.#index.set(record);
  }

  async get(id: string): Promise<PushRecord | undefined> {
    return this.#index.get(id);
  }

  async remove(id: string, createdAt?: number): Promise<boolean> {
    return this.#index.delete(id, createdAt);
  }

  async candidates(topics: readonly string[]): Promise<PushRecord[]> {
    return this.#index.candidates(topics);
  }

  async count(): Promise<number> {
    return this.#index.size;
  }

  async close(): Promise<void> {}
}
