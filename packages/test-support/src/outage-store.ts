import { type HistoryFilter, type HistoryRead, type HistoryStore, HubError, type Update } from '@tidings/hub';

/**
 * A history store that can be taken down and brought back, as a disk or database outage would:
 * while down, every append and read rejects with store_unavailable (503), the error a real store
 * gives when its backend is unreachable. Lets the engine contract's outage case run on the local
 * engine, whose only backend is its store.
 */
export class OutageStore implements HistoryStore {
  readonly #inner: HistoryStore;
  #down = false;

  constructor(inner: HistoryStore) {
    this.#inner = inner;
  }

  down(): void {
    this.#down = true;
  }

  up(): void {
    this.#down = false;
  }

  #check(): void {
    if (this.#down) throw new HubError('store_unavailable');
  }

  async append(update: Update): Promise<void> {
    this.#check();
    return this.#inner.append(update);
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    this.#check();
    return this.#inner.readAfter(afterId, limit, filter);
  }

  lastId(): Promise<string | undefined> {
    return this.#inner.lastId();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
