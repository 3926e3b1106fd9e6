import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { DEFAULT_HISTORY_SIZE } from '../defaults.js';
import { HubError } from '../errors.js';
import { toRecord, type Update, type UpdateRecord } from '../model/update.js';
import { fromRecord } from '../stream/update-frame.js';
import { GroupCommit } from './group-commit.js';
import { idKey } from './id-key.js';
import { DUPLICATE, LmdbAppender } from './lmdb-appender.js';
import { openEpoch } from './lmdb-format.js';
import {
  type Bounds,
  boundsOf,
  type Entry,
  visibleFrom as firstVisible,
  type HistoryDbs,
  type Retention,
  type Seq,
  type TopicIndexKey,
} from './lmdb-layout.js';
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
   * transaction is committing, already share one transaction, and one flush covers several.
   */
  readonly commitDelayMs?: number;
  /** Clock for age retention. Default Date.now. */
  readonly now?: () => number;
}

const DEFAULT_TRIM_PER_APPEND = 64;

/** One queued append: the record, and whether the hub generated its id (Update.generatedId). */
interface Append {
  readonly record: UpdateRecord;
  readonly generatedId: boolean;
}

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
 * to disk (fdatasync). Appends are group-committed (group-commit.ts): everything issued in one
 * event-loop turn, and everything issued while the previous transaction was committed and
 * flushed, shares one transaction and one flush (lmdb-js "overlapping sync": one fdatasync outside the
 * write lock instead of a synced commit with an O_DSYNC meta page inside it; measured in
 * docs/guarantees.md). A committed transaction is visible to LMDB readers before its flush, so
 * reads here stop before this store's first unflushed append (`#unflushed`): a subscriber is
 * never shown an update a crash could lose, as with synced commits. After a crash
 * lmdb-js reopens at the last flushed transaction when the machine rebooted, else at the last
 * committed one, which the OS still holds and which is flushed before the first read (`#opened`).
 *
 * Every append runs its duplicate check, sequence assignment and trimming inside the write
 * transaction (lmdb-appender.ts), so the order of history is the order `append` was called, and
 * the store stays consistent across restarts.
 */
export class LmdbStore implements HistoryStore {
  readonly #root: RootDatabase;
  readonly #updates: HistoryDbs['updates'];
  readonly #ids: HistoryDbs['ids'];
  readonly #topics: HistoryDbs['topics'];
  readonly #retention: Retention;
  readonly #now: () => number;
  readonly #appender: LmdbAppender;
  readonly #group = new GroupCommit((appends: readonly Append[]) => this.#commit(appends));
  readonly #epoch: string;
  /** Resolves once what was on disk at open is flushed: reads wait for it. */
  readonly #opened: Promise<void>;
  /** Sequence numbers of this store's appends that are committed, or about to be, and not flushed yet: reads end before the lowest. */
  readonly #unflushed = new Set<Seq>();
  #closed = false;

  constructor(options: LmdbStoreOptions) {
    this.#retention = {
      maxCount: Math.max(0, Math.floor(options.maxCount ?? DEFAULT_HISTORY_SIZE)),
      maxAgeMs: options.maxAgeMs !== undefined && options.maxAgeMs > 0 ? options.maxAgeMs : Infinity,
    };
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
      // Flush after the commit, outside the write lock (see the class comment): `append` waits for
      // the flush, reads stop at the last flushed update.
      overlappingSync: true,
      noSync: false,
      noMetaSync: false,
    });
    this.#updates = this.#root.openDB<Entry, Seq>({ name: 'updates' });
    this.#ids = this.#root.openDB<Seq, string>({ name: 'ids' });
    this.#topics = this.#root.openDB<null, TopicIndexKey>({ name: 'topics' });
    const meta = this.#root.openDB<string | number, string>({ name: 'meta' });
    this.#epoch = openEpoch(dir, { meta, updates: this.#updates, topics: this.#topics });
    this.#appender = new LmdbAppender(
      { updates: this.#updates, ids: this.#ids, topics: this.#topics },
      {
        ...this.#retention,
        trimPerAppend: Math.max(1, Math.floor(options.trimPerAppend ?? DEFAULT_TRIM_PER_APPEND)),
        now: this.#now,
      },
    );
    const root = this.#root as RootDatabase & { sync(done: (err?: Error) => void): void };
    this.#opened = new Promise((ok) => {
      // A crashed process's last commits may not be flushed yet (the OS holds them): flush them
      // before anything is read (a failed flush is the next append's to report).
      root.sync(() => ok());
    });
  }

  /** Made when the history directory was created; a wiped directory gets a new one. */
  get epoch(): string {
    return this.#epoch;
  }

  async append(update: Update): Promise<void> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    if (this.#retention.maxCount === 0) return;
    const result = await this.#group.add({
      record: toRecord(update),
      generatedId: update.generatedId === true,
    });
    if (result === DUPLICATE) throw new HubError('duplicate_id');
    if (result instanceof HubError) throw result;
  }

  /**
   * One transaction for a batch of appends (group-commit.ts), resolved once it is flushed. Each
   * append is hidden from reads from before the commit until the flush (`#unflushed`).
   */
  async #commit(appends: readonly Append[]): Promise<(Seq | typeof DUPLICATE | HubError)[]> {
    const results: (Seq | typeof DUPLICATE | HubError)[] = [];
    const root = this.#root;
    try {
      const committed = root.transaction(() => {
        for (const { record, generatedId } of appends) {
          try {
            const r = this.#appender.appendInTxn(record, generatedId);
            if (r !== DUPLICATE) this.#unflushed.add(r);
            results.push(r);
          } catch (err) {
            results.push(
              new HubError('store_unavailable', `History write failed: ${(err as Error).message}`),
            );
          }
        }
      });
      // Taken now: `flushed` then covers this transaction (or a later one).
      const flushed = new Promise<void>((ok, fail) => root.flushed.then(() => ok(), fail));
      await committed;
      await flushed;
      return results;
    } catch (err) {
      this.#appender.forget();
      throw new HubError('store_unavailable', `History write failed: ${(err as Error).message}`);
    } finally {
      for (const r of results) if (typeof r === 'number') this.#unflushed.delete(r);
    }
  }

  /** The bounds a reader may see: up to the last flushed update (see the class comment). */
  async #readBounds(): Promise<Bounds | undefined> {
    await this.#opened;
    const bounds = boundsOf(this.#updates);
    if (bounds === undefined || this.#unflushed.size === 0) return bounds;
    let end = bounds.last;
    for (const seq of this.#unflushed) if (seq <= end) end = seq - 1;
    if (end < bounds.first) return undefined;
    return end === bounds.last ? bounds : { first: bounds.first, last: end };
  }

  async readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    const notFound: HistoryRead = { found: false, updates: [], more: false };
    const bounds = this.#retention.maxCount === 0 ? undefined : await this.#readBounds();
    if (bounds === undefined)
      return afterId === 'earliest' ? { found: true, updates: [], more: false } : notFound;
    const visibleFrom = firstVisible(this.#updates, this.#retention, bounds, this.#now());
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
    if (this.#closed || this.#retention.maxCount === 0) return undefined;
    const bounds = await this.#readBounds();
    if (bounds === undefined) return undefined;
    if (firstVisible(this.#updates, this.#retention, bounds, this.#now()) > bounds.last) return undefined;
    return this.#updates.get(bounds.last)?.r.id;
  }

  /** Web Push subscriptions in the same environment: as durable as history, one directory. */
  openPushStore(): LmdbPushStore {
    return new LmdbPushStore(this.#root.openDB({ name: 'push' }), () => !this.#closed);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Appends already queued are committed (or fail) before the environment goes.
    await this.#group.idle();
    // The flush begun at open runs on another thread: closing under it would crash the process.
    await this.#opened;
    await this.#root.close();
  }
}

/** Sequence numbers of an index range. A generator: closing it (merge-ascending.ts) closes the cursor under it. */
function* seqsOf(keys: Iterable<TopicIndexKey>): Generator<Seq> {
  for (const key of keys) yield key[1];
}
