import type { Update } from '../pubsub/update.js';

/**
 * History: the store interface every backend implements (memory here, the embedded durable
 * store and Redis in their own modules). One shared contract suite (test/store-contract.ts)
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
   */
  readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead>;

  /** The id of the newest update kept, or undefined when history is empty. */
  lastId(): Promise<string | undefined>;

  close(): Promise<void>;
}

/** Exact topics (Mercure "Exact" matching, byte for byte): a read may skip updates none of whose topics is in the set. */
export interface HistoryFilter {
  readonly topics: ReadonlySet<string>;
}

export interface HistoryRead {
  readonly found: boolean;
  readonly updates: readonly Update[];
  /** True when more updates follow the returned page (call again after the last one). */
  readonly more: boolean;
}
