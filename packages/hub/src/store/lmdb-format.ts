import { randomUUID } from 'node:crypto';
import type { Database } from 'lmdb';
import type { UpdateRecord } from '../model/update.js';
import { topicKeys } from './topic-key.js';

/** 1: updates, ids, meta. 2: plus the topic index (a format-1 directory is migrated on open). */
const FORMAT = 2;

/** The databases of a history directory (store/lmdb-store.ts) that opening it reads or writes. */
export interface HistoryDatabases {
  readonly meta: Database<string | number, string>;
  /** Sequence number -> entry (only its record's topics are read here). */
  readonly updates: Database<{ readonly r: UpdateRecord }, number>;
  /** One empty entry per (topic key, sequence number). */
  readonly topics: Database<null, [string, number]>;
}

/**
 * The directory's epoch, in one transaction with its format: a new directory gets a random epoch
 * and the current format; a format-1 directory is indexed and becomes format 2; a newer format is
 * refused (an older hub must not append updates it would not index).
 */
export function openEpoch(dir: string, dbs: HistoryDatabases): string {
  const { meta } = dbs;
  return meta.transactionSync(() => {
    const format = meta.get('format');
    if (format !== undefined && format !== 1 && format !== FORMAT) {
      throw new Error(`${dir}: history format ${String(format)} is not supported (expected ${FORMAT})`);
    }
    let epoch = meta.get('epoch');
    if (typeof epoch !== 'string') {
      epoch = randomUUID();
      meta.putSync('epoch', epoch);
      meta.putSync('format', FORMAT);
    } else if (format === 1) {
      indexAllTopics(dbs);
      meta.putSync('format', FORMAT);
    }
    return epoch;
  });
}

/**
 * Format 1 -> 2, inside the opening transaction: indexes every update on disk (those over a
 * limit too, so that trimming them later finds their index entries). One pass over history,
 * once, when a hub is upgraded.
 */
function indexAllTopics({ updates, topics }: HistoryDatabases): void {
  for (const { key, value } of updates.getRange()) {
    for (const k of topicKeys(value.r.topics)) topics.putSync([k, key], null);
  }
}
