import { randomUUID } from 'node:crypto';
import {
  fromRecord,
  type HistoryFilter,
  type HistoryRead,
  type HistoryStore,
  HubError,
  toRecord,
  type Update,
  type UpdateRecord,
  withAt,
} from '@tidings/hub';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';
import { APPEND_SCRIPT, LAST_ID_SCRIPT, READ_SCRIPT, TRIM_SCRIPT } from './scripts.js';

export interface RedisStoreOptions {
  /** A connected client (the engine's command connection). */
  readonly client: Redis;
  /** Key of the history stream; the other keys derive from it. Default `tidings`. */
  readonly streamKey?: string;
  /** How many updates history keeps (`--history-size`). Default 1000. 0 keeps none. */
  readonly maxLen?: number;
  /** Updates older than this are no longer replayed (`--history-max-age`). Default: no limit. */
  readonly maxAgeMs?: number;
  /** At most this many old entries are deleted per append (bounded work per publish). Default 64. */
  readonly trimPerAppend?: number;
  /** At most this many stored-but-over-the-limit entries a read skips. Default 10000. */
  readonly readSkipBudget?: number;
  /** Clock for stream ids and age retention. Default Date.now. */
  readonly now?: () => number;
  /** Close the client with the store. Default false. */
  readonly ownsClient?: boolean;
}

const DEFAULT_MAX_LEN = 1000;
const DEFAULT_TRIM_PER_APPEND = 64;
const DEFAULT_READ_SKIP_BUDGET = 10_000;
/** Per-call cap of one read page, whatever the caller asks: `more` tells it to come back. */
const MAX_PAGE = 10_000;

const append = new LuaScript(APPEND_SCRIPT);
const read = new LuaScript(READ_SCRIPT);
const lastIdScript = new LuaScript(LAST_ID_SCRIPT);
const trim = new LuaScript(TRIM_SCRIPT);

/**
 * History in a Redis Stream, shared by every hub node (see scripts.ts for the layout). `append`
 * resolves once Redis has answered the XADD: as durable as the Redis server is configured to be
 * (appendonly yes + appendfsync always for "on disk before the answer"; docs/guarantees.md).
 *
 * Any Redis failure (disconnected, timed out, loading) rejects with store_unavailable (503):
 * the caller is never told "stored" unless Redis said so.
 */
export class RedisStore implements HistoryStore {
  readonly keys: RedisKeys;
  readonly #client: Redis;
  readonly #maxLen: number;
  readonly #maxAgeMs: number;
  readonly #trimPerAppend: number;
  readonly #skipBudget: number;
  readonly #now: () => number;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#client = options.client;
    this.keys = redisKeys(options.streamKey);
    this.#maxLen = Math.max(0, Math.floor(options.maxLen ?? DEFAULT_MAX_LEN));
    this.#maxAgeMs =
      options.maxAgeMs !== undefined && options.maxAgeMs > 0 ? Math.floor(options.maxAgeMs) : 0;
    this.#trimPerAppend = Math.max(1, Math.floor(options.trimPerAppend ?? DEFAULT_TRIM_PER_APPEND));
    this.#skipBudget = Math.max(0, Math.floor(options.readSkipBudget ?? DEFAULT_READ_SKIP_BUDGET));
    this.#now = options.now ?? Date.now;
    this.#ownsClient = options.ownsClient ?? false;
  }

  get #scriptKeys(): string[] {
    return [this.keys.stream, this.keys.ids, this.keys.meta];
  }

  #nowMs(): number {
    return Math.floor(this.#now());
  }

  async #run(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    try {
      return await script.run(this.#client, keys, args);
    } catch (err) {
      throw new HubError('store_unavailable', `Redis: ${(err as Error).message}`);
    }
  }

  async append(update: Update): Promise<void> {
    if (this.#maxLen === 0) return;
    const result = await this.#run(append, this.#scriptKeys, [
      update.id,
      JSON.stringify(toRecord(update)),
      this.#nowMs(),
      this.#maxLen,
      this.#maxAgeMs,
      this.#trimPerAppend,
      randomUUID(),
    ]);
    if (result === 0) throw new HubError('duplicate_id');
  }

  // The filter is ignored (store.ts allows it): one stream holds every topic, and the caller filters.
  async readAfter(afterId: string, limit: number, _filter?: HistoryFilter): Promise<HistoryRead> {
    const earliest = afterId === 'earliest';
    if (this.#maxLen === 0) return { found: earliest, updates: [], more: false };
    const page = Math.min(MAX_PAGE, Math.max(0, Math.floor(limit)));
    const reply = (await this.#run(read, this.#scriptKeys, [
      earliest ? '' : afterId,
      earliest ? '1' : '0',
      page,
      this.#nowMs(),
      this.#maxLen,
      this.#maxAgeMs,
      this.#skipBudget,
    ])) as [number, number, ...string[]];
    if (reply[0] !== 1) return { found: false, updates: [], more: false };
    const updates = reply.slice(3).map((r) => fromRecord(JSON.parse(r as string) as UpdateRecord));
    const result = { found: true, updates, more: reply[1] === 1 };
    if (reply[2] === '' || reply[2] === undefined) return result;
    // The update afterId names: who may know it exists (a private id is not confirmed to outsiders).
    const named = JSON.parse(reply[2] as string) as UpdateRecord;
    return withAt(result, { private: named.private, topics: named.topics });
  }

  async lastId(): Promise<string | undefined> {
    if (this.#maxLen === 0) return undefined;
    const id = await this.#run(
      lastIdScript,
      [this.keys.stream, this.keys.meta],
      [this.#nowMs(), this.#maxLen, this.#maxAgeMs],
    );
    return typeof id === 'string' ? id : undefined;
  }

  /** Made when the history was first written; a wiped Redis gets a new one. */
  async epoch(): Promise<string | undefined> {
    if (this.#closed) throw new HubError('store_unavailable', 'The history store is closed');
    try {
      return (await this.#client.hget(this.keys.meta, 'epoch')) ?? undefined;
    } catch (err) {
      throw new HubError('store_unavailable', `Redis: ${(err as Error).message}`);
    }
  }

  /**
   * Deletes everything over the limits, in bounded steps (each one script run). Called when the
   * store opens, so that lowering `maxLen` or `maxAgeMs` takes effect at once.
   */
  async trimAll(step = 1000): Promise<void> {
    for (;;) {
      const removed = await this.#run(trim, this.#scriptKeys, [
        this.#nowMs(),
        this.#maxLen === 0 ? 0 : this.#maxLen,
        this.#maxAgeMs,
        step,
      ]);
      if (removed === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.quit().catch(() => this.#client.disconnect());
  }
}
