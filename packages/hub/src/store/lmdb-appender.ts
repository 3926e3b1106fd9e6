import type { UpdateRecord } from '../model/update.js';
import { idKey } from './id-key.js';
import { boundsOf, type HistoryDbs, type Retention, type Seq, visibleFrom } from './lmdb-layout.js';
import { HistoryTail, type TailEntry } from './lmdb-tail.js';
import { topicKeys } from './topic-key.js';

export const DUPLICATE = Symbol('duplicate');

export interface AppenderOptions extends Retention {
  /** At most this many old updates are deleted per append (LmdbStoreOptions.trimPerAppend). */
  readonly trimPerAppend: number;
  readonly now: () => number;
}

/**
 * The write transaction's side of history: one append (duplicate check, sequence number, the
 * entry and its index keys) and the trimming it pays for. Every method runs inside a write
 * transaction, whose reads see every earlier append, committed or not; lmdb runs async
 * transaction callbacks in call order, one at a time, so history's order is the order of `append`.
 */
export class LmdbAppender {
  readonly #dbs: HistoryDbs;
  readonly #o: AppenderOptions;
  /** History's ends as the write transactions left them (lmdb-tail.ts). */
  #tail: HistoryTail | undefined;
  #tailChecked = false;
  /** The last single-topic update's topic, and its index keys (shared by tail entries, read only). */
  #lastTopic: string | undefined;
  #lastTopicKeys: ReadonlySet<string> = new Set();

  constructor(dbs: HistoryDbs, options: AppenderOptions) {
    this.#dbs = dbs;
    this.#o = options;
  }

  /** A transaction failed: what the tail says may not be on disk. */
  forget(): void {
    this.#tail = undefined;
  }

  /**
   * Appends `record`; its sequence number, or DUPLICATE when its id is in history. `generatedId`:
   * the hub made the id just now (Update.generatedId), so no entry can carry it and the
   * duplicate lookup (a read of the id index, and of the entry it names) is skipped.
   */
  appendInTxn(record: UpdateRecord, generatedId = false): Seq | typeof DUPLICATE {
    const { updates, ids, topics } = this.#dbs;
    const now = this.#o.now();
    const tail = this.#currentTail();
    const key = idKey(record.id);
    if (!tail.empty && !generatedId) {
      const existing = ids.get(key);
      if (existing !== undefined) {
        const from = visibleFrom(updates, this.#o, tail, now);
        if (existing >= from && existing <= tail.last && updates.get(existing)?.r.id === record.id)
          return DUPLICATE;
        // The id is published again after leaving history: the index will name the new entry, so
        // trimming the old one must not delete that mapping.
        tail.idRemapped(existing);
      }
    }
    const seq = tail.last + 1;
    const t = Math.max(now, tail.lastT);
    const keys = this.#topicKeysOf(record.topics);
    updates.put(seq, { t, r: record });
    ids.put(key, seq);
    for (const k of keys) topics.put([k, seq], null);
    tail.appended(seq, { t, idKey: key, topicKeys: keys, ownsId: true });
    this.#trim(tail, now);
    return seq;
  }

  /**
   * The tail, checked against the last key on disk at the first append of each write transaction
   * (lmdb-js runs one transaction's callbacks in one turn, so a microtask marks its end).
   *
   * The check is two point lookups (HistoryTail.isLastOnDisk): a reverse cursor (`getKeys`) found
   * the same key but cost about 80 µs per transaction in lmdb-js, a cursor made and positioned:
   * more than half of a one-append transaction's main-thread time in the transaction
   * (docs/benchmark.md). An empty or stale tail is rebuilt from the ends on disk, as before.
   */
  #currentTail(): HistoryTail {
    const tail = this.#tail;
    if (tail !== undefined && this.#tailChecked) return tail;
    this.#tailChecked = true;
    queueMicrotask(() => {
      this.#tailChecked = false;
    });
    const { updates } = this.#dbs;
    if (tail?.isLastOnDisk(updates)) return tail;
    const bounds = boundsOf(updates);
    const lastT = bounds === undefined ? -Infinity : (updates.get(bounds.last)?.t ?? -Infinity);
    this.#tail = new HistoryTail(bounds?.first ?? 1, bounds?.last ?? 0, lastT);
    return this.#tail;
  }

  /**
   * The topic index keys of an update. A stream of publishes to one topic computes them once, not
   * a Set and a key string per append (and trimming keeps them in the tail meanwhile).
   */
  #topicKeysOf(topics: readonly string[]): ReadonlySet<string> {
    if (topics.length !== 1) return topicKeys(topics);
    const topic = topics[0]!;
    if (topic !== this.#lastTopic) {
      this.#lastTopicKeys = topicKeys(topics);
      this.#lastTopic = topic;
    }
    return this.#lastTopicKeys;
  }

  /** Deletes, oldest first, what is over the count or age limit, at most `trimPerAppend` entries. */
  #trim(tail: HistoryTail, now: number): void {
    const { updates, ids, topics } = this.#dbs;
    const last = tail.last;
    const keepFrom = last - this.#o.maxCount + 1;
    const oldest = now - this.#o.maxAgeMs;
    for (let n = 0; n < this.#o.trimPerAppend && tail.first < last; n++) {
      const seq = tail.first;
      const entry = tail.entry(seq) ?? this.#readTailEntry(seq);
      if (seq >= keepFrom && entry !== undefined && entry.t >= oldest) break;
      if (entry !== undefined) {
        // The id may have been published again later (after it left history): keep that mapping.
        // An entry this process appended knows (`ownsId`) without reading the index.
        if (entry.ownsId || ids.get(entry.idKey) === seq) ids.remove(entry.idKey);
        for (const k of entry.topicKeys) topics.remove([k, seq]);
      }
      updates.remove(seq);
      tail.trimmed(seq);
    }
  }

  /** Trimming facts of an entry this process did not append (or no longer remembers). */
  #readTailEntry(seq: Seq): TailEntry | undefined {
    const entry = this.#dbs.updates.get(seq);
    if (entry === undefined) return undefined;
    return { t: entry.t, idKey: idKey(entry.r.id), topicKeys: topicKeys(entry.r.topics), ownsId: false };
  }
}
