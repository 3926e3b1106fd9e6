import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { DEFAULT_HISTORY_SIZE } from '../defaults.js';
import { HubError } from '../errors.js';
import { toRecord, type Update, type UpdateRecord } from '../model/update.js';
import { fromRecord } from '../stream/update-frame.js';
import { idKey } from './id-key.js';
import { openEpoch } from './lmdb-format.js';
import { LmdbPushStore } from './lmdb-push-store.js';
import { mergeAscending } from './merge-ascending.js';
import { type HistoryFilter, type HistoryRead, type HistoryStore, withAt } from './store.js';
import { topicKeys } from './topic-key.js';

export interface LmdbStoreOptions {
  /** Directory of the database, created if missing (`--data-dir`). */
  readonly dir: string;
  /** How many updates history keeps (`--history-size`). Default DEFAULT_HISTORY_SIZE (defaults.ts). 0 keeps none. */
  readonly maxCount?: number;
  /** Updates older than this are no longer replayed (`--history-max-age`). Default: no age limit. */
  readonly maxAgeMs?: number;
  /**
   * At most this many old updates are deleted per append, so one publish never pays for a large
   * backlog (after lowering `maxCount`, say): trimming catches up over the next appends, and reads
   * ignore what is over the limits meanwhile. Default 64.
   */
  readonly trimPerAppend?: number;
  /**
   * Extra milliseconds lmdb waits to gather more appends into one transaction (group commit).
   * Default 0: appends issued in the same event-loop turn, plus those arriving while the previous
   * commit is syncing, already share one commit.
   */
  readonly commitDelayMs?: number;
  /** Clock for age retention. Default Date.now. */
  readonly now?: () => number;
}

/** What one history entry holds: the append time (for age retention) and the update. */
interface Entry {
  /** Append time in ms, never lower than the previous entry's (so a binary search by age works). */
  t: number;
  r: UpdateRecord;
}

type Seq = number;
/** A key of the topic index: the topic's key (topic-key.ts), then the sequence number of an update carrying it. */
type TopicIndexKey = [string, Seq];

const DEFAULT_TRIM_PER_APPEND = 64;
const DUPLICATE = Symbol('duplicate');

/**
 * Durable history in LMDB (through lmdb-js, whose prebuilt binaries need no compile).
 *
 * Layout: `updates` maps a sequence number (1, 2, 3..., contiguous: appended at the end, trimmed
 * from the front) to an Entry; `ids` maps an update id to its sequence number, so a resume is one
 * lookup, not a scan; `topics` has one empty entry per (topic, update) keyed `[topic key, seq]`
 * (lmdb-js orders array keys element by element), so a filtered read (store.ts `HistoryFilter`) is
 * one key range per asked topic, merged, and costs what it returns instead of a walk over every
 * topic's updates; `meta` holds the format and the epoch (a random id made when the directory is
 * first created: wiping the directory starts a new epoch with an empty id index, so every id a
 * client remembers is unknown and the hub answers `earliest` instead of pretending to resume).
 *
 * Upgrade: a format-1 directory (no topic index) is indexed when it is opened (lmdb-format.ts), in
 * one transaction, before the format is set to 2, so a hub upgraded in place still replays its
 * history on resume. An older hub refuses a format-2 directory rather than appending updates it
 * would not index.
 *
 * Durability: `append` resolves once the transaction holding the update is committed AND flushed
 * to disk (fdatasync). Appends are group-committed: everything issued in one event-loop turn, and
 * everything issued while the previous commit was syncing, shares one transaction and one sync.
 * So an acknowledgement waits for at most two syncs plus `commitDelayMs` (docs/guarantees.md).
 *
 * Every append runs its duplicate check, sequence assignment and trimming inside the write
 * transaction (lmdb runs async transaction callbacks in call order, one at a time), so the order of
 * history is the order `append` was called, and the store stays consistent across restarts.
 */
export class LmdbStore implements HistoryStore {
  readonly #root: RootDatabase;
  readonly #updates: Database<Entry, Seq>;
  readonly #ids: Database<Seq, string>;
  readonly #topics: Database<null, TopicIndexKey>;
  readonly #maxCount: number;
  readonly #maxAgeMs: number;
  readonly #trimPerAppend: number;
  readonly #now: () => number;
  readonly #epoch: string;
  #closed = false;

  constructor(options: LmdbStoreOptions) {
    this.#maxCount = Math.max(0, Math.floor(options.maxCount ?? DEFAULT_HISTORY_SIZE));
    this.#maxAgeMs = options.maxAgeMs !== undefined && options.maxAgeMs > 0 ? options.maxAgeMs : Infinity;
    this.#trimPerAppend = Math.max(1, Math.floor(options.trimPerAppend ?? DEFAULT_TRIM_PER_APPEND));
    this.#now = options.now ?? Date.now;
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true });
    this.#root = open({
      path: dir,
      // A directory, even when its name has a dot in it (lmdb would take `data.v1` for a file).
      noSubdir: false,
      // updates, ids, topics, meta, and push (Web Push subscriptions, store/lmdb-push-store.ts).
      maxDbs: 5,
      commitDelay: Math.max(0, options.commitDelayMs ?? 0),
      // Sync inside the commit: a transaction is visible only once it is on disk, so nothing a
      // reader replays can be lost by a crash (with lmdb's default "overlapping sync" a commit is
      // visible before its flush). Measured to cost little with group commit (docs/guarantees.md).
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
    });
    this.#updates = this.#root.openDB<Entry, Seq>({ name: 'updates' });
    this.#ids = this.#root.openDB<Seq, string>({ name: 'ids' });
    this.#topics = this.#root.openDB<null, TopicIndexKey>({ name: 'topics' });
    const meta = this.#root.openDB<string | number, string>({ name: 'meta' });
    this.#epoch = openEpoch(dir, { meta, updates: this.#updates, topics: this.#topics });
  }

  /** Made when the history directory was created; a wiped directory gets a new one. */
  get epoch(): string {
    return this.#epoch;
  }

  async append(update: Update): Promise<void> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    if (this.#maxCount === 0) return;
    const record = toRecord(update);
    let result: typeof DUPLICATE | undefined;
    try {
      // overlappingSync is off, so the commit promise resolves after the sync of the commit.
      result = await this.#root.transaction(() => this.#appendInTxn(record));
    } catch (err) {
      throw new HubError('store_unavailable', `History write failed: ${(err as Error).message}`);
    }
    if (result === DUPLICATE) throw new HubError('duplicate_id');
  }

  /** Runs inside the write transaction: reads see every earlier append, committed or not. */
  #appendInTxn(record: UpdateRecord): typeof DUPLICATE | undefined {
    const now = this.#now();
    const bounds = this.#bounds();
    const key = idKey(record.id);
    if (bounds !== undefined) {
      const visibleFrom = this.#visibleFrom(bounds, now);
      const existing = this.#ids.get(key);
      if (existing !== undefined && existing >= visibleFrom && existing <= bounds.last) {
        if (this.#updates.get(existing)?.r.id === record.id) return DUPLICATE;
      }
    }
    const last = bounds?.last ?? 0;
    const previousT = bounds === undefined ? -Infinity : (this.#updates.get(last)?.t ?? -Infinity);
    const seq = last + 1;
    this.#updates.put(seq, { t: Math.max(now, previousT), r: record });
    this.#ids.put(key, seq);
    for (const k of topicKeys(record.topics)) this.#topics.put([k, seq], null);
    if (bounds !== undefined) this.#trim(bounds.first, seq, now);
    return undefined;
  }

  /** Deletes, oldest first, what is over the count or age limit, at most `trimPerAppend` entries. */
  #trim(first: Seq, last: Seq, now: number): void {
    const keepFrom = last - this.#maxCount + 1;
    const oldest = now - this.#maxAgeMs;
    let seq = first;
    for (let n = 0; n < this.#trimPerAppend && seq < last; n++, seq++) {
      const entry = this.#updates.get(seq);
      if (seq >= keepFrom && entry !== undefined && entry.t >= oldest) break;
      if (entry !== undefined) {
        const key = idKey(entry.r.id);
        // The id may have been published again later (after it left history): keep that mapping.
        if (this.#ids.get(key) === seq) this.#ids.remove(key);
        for (const k of topicKeys(entry.r.topics)) this.#topics.remove([k, seq]);
      }
      this.#updates.remove(seq);
    }
  }

  /** First and last sequence numbers on disk, or undefined when history is empty. */
  #bounds(): { first: Seq; last: Seq } | undefined {
    let first: Seq | undefined;
    for (const k of this.#updates.getKeys({ limit: 1 })) first = k;
    if (first === undefined) return undefined;
    let last: Seq = first;
    for (const k of this.#updates.getKeys({ reverse: true, limit: 1 })) last = k;
    return { first, last };
  }

  /**
   * The first sequence number still in history: trimming is bounded per append, so entries over
   * the limits may still be on disk; they are treated as gone. Age uses a binary search (entry
   * times never decrease along the sequence): O(log n) reads, never a walk.
   */
  #visibleFrom(bounds: { first: Seq; last: Seq }, now: number): Seq {
    let from = Math.max(bounds.first, bounds.last - this.#maxCount + 1);
    if (this.#maxAgeMs === Infinity) return from;
    const oldest = now - this.#maxAgeMs;
    let hi = bounds.last + 1;
    while (from < hi) {
      const mid = Math.floor((from + hi) / 2);
      const t = this.#updates.get(mid)?.t ?? -Infinity;
      if (t >= oldest) hi = mid;
      else from = mid + 1;
    }
    return from;
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    const notFound: HistoryRead = { found: false, updates: [], more: false };
    const bounds = this.#maxCount === 0 ? undefined : this.#bounds();
    if (bounds === undefined)
      return afterId === 'earliest' ? { found: true, updates: [], more: false } : notFound;
    const visibleFrom = this.#visibleFrom(bounds, this.#now());
    let from: Seq;
    let at: HistoryRead['at'];
    if (afterId === 'earliest') {
      from = visibleFrom;
    } else {
      const seq = this.#ids.get(idKey(afterId));
      if (seq === undefined || seq < visibleFrom || seq > bounds.last) return notFound;
      const record = this.#updates.get(seq)?.r;
      if (record?.id !== afterId) return notFound;
      at = { private: record.private, topics: record.topics };
      from = seq + 1;
    }
    const max = Math.max(0, Math.floor(limit));
    if (filter !== undefined) return withAt(this.#readTopics(from, bounds.last, max, filter), at);
    const to = Math.min(bounds.last, from + max - 1);
    const updates: Update[] = [];
    if (to >= from) {
      for (const { value } of this.#updates.getRange({ start: from, end: to + 1 }))
        updates.push(fromRecord(value.r));
    }
    return withAt({ found: true, updates, more: Math.max(from, to + 1) <= bounds.last }, at);
  }

  /**
   * The first `max` updates in [from, last] carrying one of the filter's topics: one key range of
   * the topic index per topic, merged lazily (merge-ascending.ts), so the read touches at most
   * `max` + 1 index keys plus one per topic, and then the `max` entries it returns.
   */
  #readTopics(from: Seq, last: Seq, max: number, filter: HistoryFilter): HistoryRead {
    const ranges: Iterable<Seq>[] = [];
    for (const k of topicKeys(filter.topics)) {
      ranges.push(seqsOf(this.#topics.getKeys({ start: [k, from], end: [k, last + 1] })));
    }
    // One more than the page: whether any matching update follows it.
    const seqs = mergeAscending(ranges, max + 1);
    const updates: Update[] = [];
    for (let i = 0; i < seqs.length && i < max; i++) {
      const entry = this.#updates.get(seqs[i]!);
      if (entry !== undefined) updates.push(fromRecord(entry.r));
    }
    return { found: true, updates, more: seqs.length > max };
  }

  async lastId(): Promise<string | undefined> {
    if (this.#closed || this.#maxCount === 0) return undefined;
    const bounds = this.#bounds();
    if (bounds === undefined) return undefined;
    if (this.#visibleFrom(bounds, this.#now()) > bounds.last) return undefined;
    return this.#updates.get(bounds.last)?.r.id;
  }

  /** Web Push subscriptions in the same environment: as durable as history, one directory. */
  openPushStore(): LmdbPushStore {
    return new LmdbPushStore(this.#root.openDB({ name: 'push' }), () => !this.#closed);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#root.close();
  }
}

/** Sequence numbers of an index range. A generator: closing it (merge-ascending.ts) closes the cursor under it. */
function* seqsOf(keys: Iterable<TopicIndexKey>): Generator<Seq> {
  for (const key of keys) yield key[1];
}
