import { idKey } from './id-key.js';

/**
 * A topic as a key of the LMDB topic index. A topic may be 2,048 UTF-16 units long (up to 6 KB of
 * UTF-8), over LMDB's key limit, so topics take the id scheme (id-key.ts): short ones as they are,
 * longer ones by their SHA-256. A collision would only make a filtered read return updates of
 * another topic too, which the read contract allows (store.ts: the caller filters again).
 */
export function topicKey(topic: string): string {
  return idKey(topic);
}

/** The distinct keys of some topics: an update (or a filter) naming one topic twice is indexed (or read) once. */
export function topicKeys(topics: Iterable<string>): Set<string> {
  const keys = new Set<string>();
  for (const topic of topics) keys.add(topicKey(topic));
  return keys;
}
