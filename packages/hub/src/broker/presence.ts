import type { Subscriber } from './subscriber.js';

/**
 * Topics in this namespace are presence topics: a page adds `match=urn:tidings:presence:<id>`
 * to its stream, registers its push subscription with the same topic, and is not pushed to
 * while that stream is live. Nothing is published there; only exact selectors count.
 */
export const PRESENCE_PREFIX = 'urn:tidings:presence:';
/** The part after the prefix: 16 to 128 URL-safe characters (a random id: unguessable). */
export const PRESENCE_ID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Presence shared by the nodes of a cluster (the Redis engine's, packages/redis). Local presence
 * is always known without it; the board is asked only about keys this node has no stream for.
 */
export interface PresenceBoard {
  /** This node has a live stream with `key` (true), or no longer has any (false). Never throws. */
  set(key: string, present: boolean): void;
  /** The keys among `keys` that some node has a live stream for. Rejects when it cannot tell. */
  present(keys: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/** The presence keys of a stream: its token's subject, and the presence topics it subscribes to. */
export function presenceKeys(sub: Pick<Subscriber, 'principal' | 'selectors'>): string[] {
  const keys: string[] = [];
  const subject = sub.principal?.subject;
  if (subject !== undefined && subject !== '') keys.push(`s:${subject}`);
  for (const s of sub.selectors) {
    if (s.exact && !s.wildcard && s.raw.startsWith(PRESENCE_PREFIX)) keys.push(`t:${s.raw}`);
  }
  return keys;
}

/**
 * Who has a live stream: counts per presence key on this node, fed by the broker (every stream
 * registered and removed), and the cluster's board for the rest. A push goes to a subscription
 * only when its presence key has no live stream anywhere (docs/push.md).
 */
export class Presence {
  readonly #local = new Map<string, number>();
  readonly #board: PresenceBoard | undefined;

  constructor(board?: PresenceBoard) {
    this.#board = board;
  }

  /** The broker's observer. */
  readonly observe = (sub: Subscriber, present: boolean): void => {
    for (const key of presenceKeys(sub)) {
      const n = (this.#local.get(key) ?? 0) + (present ? 1 : -1);
      if (n > 0) this.#local.set(key, n);
      else this.#local.delete(key);
      // Only the first stream of a key and the end of the last are news to the cluster.
      if (present ? n === 1 : n <= 0) this.#board?.set(key, present);
    }
  };

  /** True when this node has a live stream for `key`. */
  here(key: string): boolean {
    return this.#local.has(key);
  }

  /** The keys (of `keys`) that have a live stream on this node or, with a board, anywhere. */
  async online(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const ask: string[] = [];
    for (const k of keys) {
      if (this.#local.has(k)) found.add(k);
      else ask.push(k);
    }
    if (this.#board !== undefined && ask.length > 0) {
      for (const k of await this.#board.present(ask)) found.add(k);
    }
    return found;
  }

  close(): Promise<void> {
    return this.#board?.close() ?? Promise.resolve();
  }
}
