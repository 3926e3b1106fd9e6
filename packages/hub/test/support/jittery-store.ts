import type { HistoryFilter, HistoryRead, HistoryStore, Update } from '@tidings/hub';

/**
 * A history store that answers after a random real delay (a timer, not a microtask), like a
 * store behind I/O. The in-memory store answers within the same tick, so without this a replay
 * never overlaps a live dispatch and the replay/live seam is never exercised.
 */
export class JitteryStore implements HistoryStore {
  readonly #inner: HistoryStore;
  readonly #maxDelayMs: number;

  constructor(inner: HistoryStore, maxDelayMs = 2) {
    this.#inner = inner;
    this.#maxDelayMs = maxDelayMs;
  }

  #delay(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.random() * this.#maxDelayMs));
  }

  async append(update: Update): Promise<void> {
    // Stored at once (so a concurrent read may see it), acknowledged later: the window in which
    // an update is in history but not yet dispatched live.
    const stored = this.#inner.append(update);
    await this.#delay();
    return stored;
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    await this.#delay();
    return this.#inner.readAfter(afterId, limit, filter);
  }

  lastId(): Promise<string | undefined> {
    return this.#inner.lastId();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
