import type { HistoryFilter, HistoryRead, HistoryStore, Update } from '@tidings/hub';

/**
 * A history store whose reads can be held at a gate the test opens, and which records what each
 * read asked for: to hold a replay slot for as long as a test needs, and to see the filters the
 * hub passes.
 */
export class GatedStore implements HistoryStore {
  readonly #inner: HistoryStore;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  /** Every read, in call order. */
  readonly reads: { afterId: string; filter: HistoryFilter | undefined }[] = [];
  /** Reads waiting at the gate now. */
  held = 0;

  constructor(inner: HistoryStore) {
    this.#inner = inner;
  }

  /** Reads from now on wait until `open()`. */
  hold(): void {
    if (this.#gate !== undefined) return;
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open?.();
    this.#gate = undefined;
    this.#open = undefined;
  }

  append(update: Update): Promise<void> {
    return this.#inner.append(update);
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    this.reads.push({ afterId, filter });
    if (this.#gate !== undefined) {
      this.held++;
      await this.#gate;
      this.held--;
    }
    return this.#inner.readAfter(afterId, limit, filter);
  }

  lastId(): Promise<string | undefined> {
    return this.#inner.lastId();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
