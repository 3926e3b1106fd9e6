/**
 * Group commit: items wait here while a batch is being committed and flushed; the next batch takes
 * every item that came meanwhile (and those of the same event-loop turn), in arrival order. One
 * batch runs at a time, so an item waits for at most the batch under way, then its own.
 *
 * Why not one transaction per lmdb event turn (lmdb-js's own batching): with overlapping sync,
 * lmdb starts the next transaction as soon as the previous one is committed, long before its
 * flush, so a busy hub committed many small transactions per flush, each with a fixed cost on the
 * main thread (a worker, a thread-safe callback, the callbacks' promises) that dominated the
 * profile of LMDB publishes (docs/benchmark.md). Here a transaction holds everything that
 * arrived during the previous flush, which waiting for it costs no acknowledgement anything: no
 * append could be acknowledged before that flush ended anyway.
 */
export class GroupCommit<T, R> {
  readonly #commit: (items: readonly T[]) => Promise<R[]>;
  #queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #running: Promise<void> | undefined;

  /** `commit` commits a batch and resolves each item's result in order, or rejects for all of them. */
  constructor(commit: (items: readonly T[]) => Promise<R[]>) {
    this.#commit = commit;
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#running ??= new Promise<void>((started) => setImmediate(started)).then(() => this.#run());
    });
  }

  /** Resolves once nothing is queued or under way. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        const results = await this.#commit(batch.map((b) => b.item));
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.#running = undefined;
  }
}
