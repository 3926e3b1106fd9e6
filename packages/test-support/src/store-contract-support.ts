import assert from 'node:assert/strict';
import { createUpdate, type HistoryStore, HubError, type Update } from '@tidings/hub';

/** What the store contract's cases share: the store under test, updates, and reading history back. */

export interface StoreContractOptions {
  /** History keeps the newest `maxCount` updates. */
  readonly maxCount: number;
  /** Only for stores declaring `ageRetention`. */
  readonly maxAgeMs?: number;
  /** The clock the store must use for age retention (only for stores declaring `ageRetention`). */
  readonly now?: () => number;
}

export interface StoreUnderTest {
  readonly store: HistoryStore;
  /** Opens the same history again, as a restarted process would (the test closes `store` first). */
  readonly reopen?: () => Promise<HistoryStore>;
  /** Closes whatever is still open and deletes the history. */
  readonly cleanup: () => Promise<void>;
}

export interface StoreCapabilities {
  /** The store takes `maxAgeMs` and `now` and hides (and trims) older updates. */
  readonly ageRetention?: boolean;
  /**
   * A filtered read returns only matching updates, and `more` only when a matching one follows
   * (the contract lets a store return others; one with a topic index does not).
   */
  readonly exactFilter?: boolean;
}

export type StoreFactory = (options: StoreContractOptions) => Promise<StoreUnderTest>;

let counter = 0;
export function update(id?: string, data?: string): Update {
  counter++;
  return createUpdate({
    topics: [`https://example.com/books/${counter}`, 'https://example.com/books/{id}'],
    data: data ?? `payload ${counter}\nsecond line`,
    private: counter % 2 === 0,
    id: id ?? `urn:uuid:contract-${process.pid}-${counter}`,
    type: counter % 3 === 0 ? 'book' : undefined,
    retry: counter % 5 === 0 ? 1000 : undefined,
  });
}

export function ids(updates: readonly Update[]): string[] {
  return updates.map((u) => u.id);
}

/** Topics of the filtered-read cases: near misses of A (a longer topic, another case) must not match it. */
export const TOPIC = {
  a: 'https://example.com/topics/a',
  b: 'https://example.com/topics/b',
  c: 'urn:tidings:topic:c',
  never: 'https://example.com/topics/never',
  aSlash: 'https://example.com/topics/a/',
  aUpper: 'https://example.com/topics/A',
} as const;

export function topicUpdate(topics: readonly string[], id?: string): Update {
  counter++;
  return createUpdate({
    topics,
    data: `payload ${counter}`,
    private: counter % 2 === 0,
    id: id ?? `urn:uuid:contract-${process.pid}-${counter}`,
  });
}

export async function readAll(store: HistoryStore, afterId = 'earliest', page = 7): Promise<Update[]> {
  const out: Update[] = [];
  let cursor = afterId;
  for (let i = 0; i < 10_000; i++) {
    const r = await store.readAfter(cursor, page);
    assert.equal(r.found, true, `readAll: ${cursor} not found`);
    out.push(...r.updates);
    if (!r.more) return out;
    assert.ok(r.updates.length > 0, 'more is true but the page is empty');
    cursor = r.updates[r.updates.length - 1]!.id;
  }
  throw new Error('readAll did not terminate');
}

export async function appendAll(store: HistoryStore, updates: readonly Update[]): Promise<void> {
  for (const u of updates) await store.append(u);
}

export function isDuplicate(err: unknown): boolean {
  return err instanceof HubError && err.code === 'duplicate_id' && err.status === 409;
}

/** Runs `fn` on a fresh store (with `restart()` when the store can reopen), cleaned up after. */
export type WithStore = (
  options: StoreContractOptions,
  fn: (s: StoreUnderTest & { current: () => HistoryStore; restart: () => Promise<void> }) => Promise<void>,
) => Promise<void>;

/** Whether the store under test can reopen its history (a probe store, made and cleaned up). */
export async function reopenable(factory: StoreFactory): Promise<boolean> {
  const probe = await factory({ maxCount: 1 });
  const can = probe.reopen !== undefined;
  await probe.cleanup();
  return can;
}
