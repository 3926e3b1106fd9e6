import type { Database } from 'lmdb';
import type { UpdateRecord } from '../model/update.js';

/** What one history entry holds: the append time (for age retention) and the update. */
export interface Entry {
  /** Append time in ms, never lower than the previous entry's (so a binary search by age works). */
  t: number;
  r: UpdateRecord;
}

export type Seq = number;
/** A key of the topic index: the topic's key (topic-key.ts), then the sequence number of an update carrying it. */
export type TopicIndexKey = [string, Seq];

/** The databases of history (lmdb-store.ts describes the layout). */
export interface HistoryDbs {
  readonly updates: Database<Entry, Seq>;
  readonly ids: Database<Seq, string>;
  readonly topics: Database<null, TopicIndexKey>;
}

/** How much history is kept: a count and an age (ms; Infinity for none). */
export interface Retention {
  readonly maxCount: number;
  readonly maxAgeMs: number;
}

export interface Bounds {
  readonly first: Seq;
  readonly last: Seq;
}

/** First and last sequence numbers on disk, or undefined when history is empty. */
export function boundsOf(updates: HistoryDbs['updates']): Bounds | undefined {
  let first: Seq | undefined;
  for (const k of updates.getKeys({ limit: 1 })) first = k;
  if (first === undefined) return undefined;
  let last: Seq = first;
  for (const k of updates.getKeys({ reverse: true, limit: 1 })) last = k;
  return { first, last };
}

/**
 * The first sequence number still in history: trimming is bounded per append, so entries over
 * the limits may still be on disk; they are treated as gone. Age uses a binary search (entry
 * times never decrease along the sequence): O(log n) reads, never a walk.
 */
export function visibleFrom(
  updates: HistoryDbs['updates'],
  retention: Retention,
  bounds: Bounds,
  now: number,
): Seq {
  let from = Math.max(bounds.first, bounds.last - retention.maxCount + 1);
  if (retention.maxAgeMs === Infinity) return from;
  const oldest = now - retention.maxAgeMs;
  let hi = bounds.last + 1;
  while (from < hi) {
    const mid = Math.floor((from + hi) / 2);
    const t = updates.get(mid)?.t ?? -Infinity;
    if (t >= oldest) hi = mid;
    else from = mid + 1;
  }
  return from;
}
