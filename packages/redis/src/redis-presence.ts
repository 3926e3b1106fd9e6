import { randomUUID } from 'node:crypto';
import type { PresenceBoard } from '@tidings/hub';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './connection-log.js';

export interface RedisPresenceOptions {
  /** How long a node's presence outlives its last refresh (a node that died stops counting then). Default 30000. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Presence shared by the nodes (the hub's broker/presence.ts): one sorted set per presence key,
 * members the node ids that have a live stream for it, scored by when that claim expires. A
 * node adds itself when its first stream of a key opens and removes itself when its last one
 * ends, and refreshes all its claims every third of the TTL; a node that dies without saying so
 * stops counting after the TTL. Keys expire with their last claim. "Is anyone online" is one
 * ZCOUNT per key, pipelined.
 */
export class RedisPresence implements PresenceBoard {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #node = randomUUID();
  readonly #mine = new Set<string>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  readonly #log: EngineLogger;

  constructor(client: Redis, prefix: string, log: EngineLogger, options: RedisPresenceOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#log = log;
    this.#ttlMs = Math.max(100, options.ttlMs ?? 30_000);
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.#refresh([...this.#mine]), Math.floor(this.#ttlMs / 3));
    this.#timer.unref();
  }

  set(key: string, present: boolean): void {
    if (present) {
      this.#mine.add(key);
      this.#refresh([key]);
      return;
    }
    this.#mine.delete(key);
    this.#client.zrem(this.#prefix + key, this.#node).catch((err: Error) => this.#warn(err));
  }

  async present(keys: readonly string[]): Promise<Set<string>> {
    const now = this.#now();
    const pipeline = this.#client.pipeline();
    for (const k of keys) pipeline.zcount(this.#prefix + k, now, '+inf');
    const replies = (await pipeline.exec()) ?? [];
    const found = new Set<string>();
    replies.forEach(([err, n], i) => {
      if (err !== null) throw err;
      if ((n as number) > 0) found.add(keys[i]!);
    });
    return found;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const mine = [...this.#mine];
    this.#mine.clear();
    if (mine.length === 0 || this.#client.status !== 'ready') return;
    const pipeline = this.#client.pipeline();
    for (const k of mine) pipeline.zrem(this.#prefix + k, this.#node);
    await pipeline.exec().catch(() => {});
  }

  #refresh(keys: readonly string[]): void {
    if (keys.length === 0 || this.#client.status !== 'ready') return;
    const until = this.#now() + this.#ttlMs;
    const pipeline = this.#client.pipeline();
    for (const k of keys) {
      pipeline.zadd(this.#prefix + k, until, this.#node);
      // Claims of dead nodes go with time; the key itself when no claim is left.
      pipeline.zremrangebyscore(this.#prefix + k, '-inf', this.#now());
      pipeline.pexpire(this.#prefix + k, this.#ttlMs);
    }
    pipeline.exec().catch((err: Error) => this.#warn(err));
  }

  #warn(err: Error): void {
    this.#log.debug(
      { err: err.message },
      'presence not shared with Redis (it is refreshed when Redis is back)',
    );
  }
}
