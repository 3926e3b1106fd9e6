import { HubError, type PushBounds, type PushRecord, type PushStore } from '@tidings/hub';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';
import { CANDIDATES_SCRIPT, PUT_SCRIPT, REMOVE_SCRIPT } from './push-scripts.js';
import type { RedisKeys } from './redis-keys.js';

const put = new LuaScript(PUT_SCRIPT);
const remove = new LuaScript(REMOVE_SCRIPT);
const candidates = new LuaScript(CANDIDATES_SCRIPT);

/**
 * Push subscriptions in Redis, shared by every node of the cluster (the hub's store/push-store.ts
 * contract): records in a hash, indexed by exact topic and by owner in sets, so `candidates` is
 * one script reading only the records a publish may concern, and a registration's bounds are
 * checked and written in one atomic script.
 */
export class RedisPushStore implements PushStore {
  readonly #client: Redis;
  readonly #keys: [string, string];
  readonly #prefix: string;

  constructor(client: Redis, keys: RedisKeys) {
    this.#client = client;
    this.#prefix = keys.push;
    this.#keys = [keys.push, `${keys.push}:p`];
  }

  async put(record: PushRecord, bounds: PushBounds): Promise<void> {
    const answer = await this.#run(put, [
      this.#prefix,
      record.id,
      JSON.stringify(record),
      bounds.maxTotal,
      bounds.maxPerOwner,
    ]);
    if (answer === 'total') {
      throw new HubError(
        'too_many_push_subscriptions',
        `the hub keeps at most ${bounds.maxTotal} push subscriptions`,
      );
    }
    if (answer === 'owner') {
      throw new HubError(
        'too_many_push_subscriptions_subscriber',
        `at most ${bounds.maxPerOwner} push subscriptions per subscriber`,
      );
    }
  }

  async get(id: string): Promise<PushRecord | undefined> {
    const json = await this.#call(() => this.#client.hget(this.#keys[0], id));
    return json === null ? undefined : (JSON.parse(json) as PushRecord);
  }

  async remove(id: string, createdAt?: number): Promise<boolean> {
    return (await this.#run(remove, [this.#prefix, id, createdAt ?? ''])) === 1;
  }

  async candidates(topics: readonly string[]): Promise<PushRecord[]> {
    const found = (await this.#run(candidates, [this.#prefix, ...topics])) as string[];
    return found.map((json) => JSON.parse(json) as PushRecord);
  }

  async count(): Promise<number> {
    return this.#call(() => this.#client.hlen(this.#keys[0]));
  }

  async close(): Promise<void> {
    // The connection is the engine's: it closes it.
  }

  #run(script: LuaScript, args: (string | number)[]): Promise<unknown> {
    return this.#call(() => script.run(this.#client, this.#keys, args));
  }

  async #call<T>(f: () => Promise<T>): Promise<T> {
    if (this.#client.status !== 'ready') throw new HubError('store_unavailable', 'Redis is not connected');
    try {
      return await f();
    } catch (err) {
      if (err instanceof HubError) throw err;
      throw new HubError('store_unavailable', `Redis: ${(err as Error).message}`);
    }
  }
}
