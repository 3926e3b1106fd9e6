import type { Update } from '../model/update.js';
import type { PushStore } from './push-store.js';

/**
 * History: the store interface every backend implements (memory here, the embedded durable
 * store and Redis in their own modules). One shared contract suite (packages/test-support/src/store-contract.ts)
 * runs against each of them.
 *
 * Order: the store defines one total order of updates; `append` resolves only once the update
 * is stored as durably as the backend promises (that is what a 200 on publish acknowledges).
 */
export interface HistoryStore {
  /** Adds one update at the end of history. Rejects with HubError('duplicate_id') when the id is already kept. */
  append(update: Update): Promise<void>;

  /**
   * Reads what came strictly after `afterId` in history order, oldest first, at most `limit` updates.
   * `afterId === 'earliest'` reads from the very beginning. `found` is false when the id is not
   * in history (never seen, trimmed, or history wiped): the caller then answers `earliest`.
   * Implementations bound the scan (no unbounded walks over history).
   *
   * With a `filter`, `updates` holds, in history order, every update after `afterId` that has at
   * least one of its topics (the canonical one and the alternates) in `filter.topics`, at most
   * `limit` of them. A store MAY return other updates too (the caller filters again), so a store
   * that cannot index by topic may ignore the filter; whatever it returns is in history order and
   * counts against `limit`. `found` is about `afterId` alone, exactly as without a filter. `more`
   * is true when matching updates may follow the page; then (with `limit` > 0) `updates` is not
   * empty and the caller goes on with `readAfter(<id of the last one>, limit, filter)`. Paging
   * through history that way yields exactly the matching subsequence (plus, for a store ignoring
   * the filter, the others). Why: a resume replays a few topics out of many, and reading every
   * topic's updates to keep a few made a resume cost in proportion to all of history (in a soak,
   * 20 times what it replayed; a reconnect storm then put the hub further behind).
   */
  readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead>;

  /** The id of the newest update kept, or undefined when history is empty. */
  lastId(): Promise<string | undefined>;

  close(): Promise<void>;

  /**
   * Web Push subscriptions kept beside history, as durably (store/push-store.ts). Optional: an
   * engine over a store without it keeps them in memory.
   */
  openPushStore?(): PushStore;
}

/** What a replay can deliver, so that a store indexing by topic reads only that (see `readAfter`). */
export interface HistoryFilter {
  /** Exact topics (Mercure "Exact" matching, byte for byte): the read may skip updates none of whose topics is in this set. */
  readonly topics: ReadonlySet<string>;
}

export interface HistoryRead {
  readonly found: boolean;
  /**
   * When `found` (and `afterId` is not `earliest`), what the update `afterId` names says about who
   * may know it exists: a resume from a private update the subscriber may not read is answered
   * as if the id were unknown (docs/security.md). A store that leaves it out cannot tell.
   */
  readonly at?: Pick<Update, 'private' | 'topics'> | undefined;
  readonly updates: readonly Update[];
  /** True when more updates (with a filter: matching ones) follow the page (call again after the last one). */
  readonly more: boolean;
}

/** `read` with `at` set when known: a read that cannot tell carries no `at` key at all. */
export function withAt(read: HistoryRead, at: HistoryRead['at']): HistoryRead {
  return at === undefined ? read : { ...read, at };
}
