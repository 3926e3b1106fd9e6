/** What trimming needs of an update this process appended, so it does not read the entry back. */
export interface TailEntry {
  /** Append time (ms), for age retention. */
  readonly t: number;
  /** The update's key in the id index (id-key.ts). */
  readonly idKey: string;
  /** Its keys in the topic index (topic-key.ts). */
  readonly topicKeys: ReadonlySet<string>;
  /**
   * The id index maps `idKey` to this entry for sure: true when this process appended it and no
   * later append reused the id (`idRemapped`); false for entries read back from disk, whose
   * mapping trimming checks first.
   */
  ownsId: boolean;
}

/**
 * Entries whose trimming facts this process keeps at most: beyond it, older entries are read back
 * from LMDB when they are trimmed (what every entry cost before the tail existed).
 */
export const MAX_TAIL_ENTRIES = 65_536;

/**
 * The ends of history as the write transaction last left them: first and last sequence numbers,
 * the last entry's time, and the trimming facts of the entries this process appended.
 *
 * Why: an append used to find both ends with two cursors and decode the last entry for its time,
 * and trimming decoded each entry it deleted; those reads were about a third of an append's cost
 * (profile in docs/benchmark.md). Appends happen only inside the store's write transactions, so
 * the ends change only there; the store checks the tail once per transaction (`matches`) against
 * the last key on disk, which catches a transaction that failed after the tail moved on, or
 * another process writing the same directory, and rebuilds it then.
 */
export class HistoryTail {
  first: number;
  last: number;
  lastT: number;
  readonly #entries = new Map<number, TailEntry>();

  constructor(first: number, last: number, lastT: number) {
    this.first = first;
    this.last = last;
    this.lastT = lastT;
  }

  /**
   * The tail is right about a non-empty history in `updates`: its last sequence number is the
   * last key on disk. Keys are contiguous and the last is never trimmed, so `last` existing and
   * `last + 1` not is enough: another writer's append adds `last + 1` (and trimming past it would
   * remove `last` too), a failed transaction leaves `last` absent. False for an empty tail: the
   * caller looks for the last key with a cursor then (key 1 absent proves nothing once trimmed).
   */
  isLastOnDisk(updates: { doesExist(key: number): boolean }): boolean {
    if (this.empty || !updates.doesExist(this.last)) return false;
    return !updates.doesExist(this.last + 1);
  }

  get empty(): boolean {
    return this.last === 0 || this.first > this.last;
  }

  appended(seq: number, entry: TailEntry): void {
    if (this.empty) this.first = seq;
    this.last = seq;
    this.lastT = entry.t;
    if (this.#entries.size < MAX_TAIL_ENTRIES) this.#entries.set(seq, entry);
  }

  /** What this process knows of `seq`, or undefined (then read it from LMDB). */
  entry(seq: number): TailEntry | undefined {
    return this.#entries.get(seq);
  }

  /** A later append took over the id index's mapping of `seq`'s id. */
  idRemapped(seq: number): void {
    const entry = this.#entries.get(seq);
    if (entry !== undefined) entry.ownsId = false;
  }

  /** `seq` (the first) was deleted. */
  trimmed(seq: number): void {
    this.#entries.delete(seq);
    this.first = seq + 1;
  }
}
