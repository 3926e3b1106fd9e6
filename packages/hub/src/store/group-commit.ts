/**
 * How many event-loop turns a batch waits at most for more items, as long as each turn brings
 * some (see GroupCommit).
 */
export const MAX_GATHER_TURNS = 8;

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
 *
 * A batch also waits, turn by turn, while items keep coming (at most MAX_GATHER_TURNS turns): it
 * closes after a turn of the event loop that brought none. Why: a hub busy on its CPU reads
 * pipelined publishes over several turns, so a batch closed after the first turn committed only
 * part of them, and the rest waited for its flush and took a transaction of their own (at 256
 * publishes in flight, batches of 64 to 255, 133 on average; with this, 255, and about half the
 * transactions, each with a fixed cost on the main thread and the writer thread:
 * docs/benchmark.md). A turn with a pending immediate does not wait for I/O, so an idle or
 * lightly loaded hub closes the batch after one more turn: microseconds, not a wait for input.
 */
export class GroupCommit<T, R> {
  readonly #commit: (items: readonly T[]) => Promise<R[]>;
  #queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #running: Promise<void> | undefined;
  /** Items added so far: a turn that did not change it brought none. */
  #arrivals = 0;

  /** `commit` commits a batch and resolves each item's result in order, or rejects for all of them. */
  constructor(commit: (items: readonly T[]) => Promise<R[]>) {
    this.#commit = commit;
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#arrivals++;
      this.#running ??= new Promise<void>((started) => setImmediate(started)).then(() => this.#run());
    });
  }

  /** Resolves once nothing is queued or under way. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      for (let turn = 0; turn < MAX_GATHER_TURNS; turn++) {
        const before = this.#arrivals;
        await new Promise<void>((next) => setImmediate(next));
        if (this.#arrivals === before) break;
      }
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
