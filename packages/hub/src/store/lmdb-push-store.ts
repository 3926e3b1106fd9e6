import type { Database } from 'lmdb';
import { HubError } from '../errors.js';
import type { PushRecord } from './push-record.js';
import { type PushBounds, PushIndex, type PushStore } from './push-store.js';

/**
 * Push subscriptions in the embedded store's LMDB environment (a `push` database beside
 * history, store/lmdb-store.ts), so they survive a restart with it. Every record is also held in
 * memory (a PushIndex, bounded by maxPushSubscriptions): `candidates` never reads the disk on
 * the delivery path. Writes are LMDB transactions, run in call order, and the bounds are
 * checked inside them.
 */
export class LmdbPushStore implements PushStore {
  readonly #db: Database<PushRecord, string>;
  readonly #index = new PushIndex();
  readonly #isOpen: () => boolean;

  /** `isOpen`: false once the environment is closed (by the history store that owns it). */
  constructor(db: Database<PushRecord, string>, isOpen: () => boolean) {
    this.#db = db;
    this.#isOpen = isOpen;
    for (const { value } of db.getRange()) this.#index.set(value);
  }

  async put(record: PushRecord, bounds: PushBounds): Promise<void> {
    this.#open();
    // Checked again inside the transaction: another put may have been queued before this one.
    this.#index.check(record, bounds);
    const ok = await this.#db.transaction(() => {
      try {
        this.#index.check(record, bounds);
      } catch (err) {
        return err as HubError;
      }
      this.#db.putSync(record.id, record);
      this.#index.set(record);
      return undefined;
    });
    if (ok !== undefined) throw ok;
  }

  async get(id: string): Promise<PushRecord | undefined> {
    return this.#index.get(id);
  }

  async remove(id: string, createdAt?: number): Promise<boolean> {
    if (!this.#isOpen()) return false;
    const had = this.#index.delete(id, createdAt);
    if (had) await this.#db.remove(id);
    return had;
  }

  async candidates(topics: readonly string[]): Promise<PushRecord[]> {
    return this.#index.candidates(topics);
  }

  async count(): Promise<number> {
    return this.#index.size;
  }

  async close(): Promise<void> {
    // The environment belongs to the history store: it closes it.
  }

  #open(): void {
    if (!this.#isOpen()) throw new HubError('store_unavailable', 'The store is closed');
  }
}
