import type { Logger } from 'pino';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import type { Engine } from './engine.js';
import { LocalEngine } from './local-engine.js';

export interface CreateEngineOptions {
  /** `lmdb` or `embedded` (default): durable, one process; `memory`; `redis://host:port/db`: a cluster. */
  readonly transport?: string | undefined;
  /** Directory of the embedded store (`--data-dir`), created if missing. */
  readonly dataDir: string;
  /** Updates kept in history (`--history-size`). */
  readonly historySize: number;
  /** Updates older than this are not replayed (`--history-max-age`); 0 or undefined: no age limit. */
  readonly historyMaxAgeMs?: number | undefined;
  /** The hub's logger: the Redis engine logs losing Redis, reconnecting and recovering to it. */
  readonly logger?: Logger | undefined;
}

/** Module name kept in a variable so the hub has no static (type or bundle) dependency on it. */
const REDIS_ENGINE_MODULE = '@tidings/redis';

interface RedisEngineModule {
  createRedisEngine(options: {
    url: string;
    maxLen?: number;
    maxAgeMs?: number;
    logger?: Logger;
  }): Promise<Engine>;
}

/** Picks the engine named by `--transport`. */
export async function createEngine(o: CreateEngineOptions): Promise<Engine> {
  const transport = (o.transport ?? '').trim();
  const maxAgeMs = o.historyMaxAgeMs !== undefined && o.historyMaxAgeMs > 0 ? o.historyMaxAgeMs : undefined;
  if (transport === '' || transport === 'lmdb' || transport === 'embedded') {
    return new LocalEngine(
      new LmdbStore({ dir: o.dataDir, maxCount: o.historySize, ...(maxAgeMs !== undefined && { maxAgeMs }) }),
    );
  }
  if (transport === 'memory') {
    return new LocalEngine(
      new MemoryStore({ size: o.historySize, ...(maxAgeMs !== undefined && { maxAgeMs }) }),
    );
  }
  if (/^rediss?:\/\//.test(transport)) {
    let mod: RedisEngineModule;
    try {
      mod = (await import(REDIS_ENGINE_MODULE)) as RedisEngineModule;
    } catch (err) {
      throw new Error(
        `--transport ${transport.split('://')[0]}://... needs the @tidings/redis package installed next to @tidings/hub (${(err as Error).message})`,
      );
    }
    return mod.createRedisEngine({
      url: transport,
      maxLen: o.historySize,
      ...(maxAgeMs !== undefined && { maxAgeMs }),
      ...(o.logger !== undefined && { logger: o.logger }),
    });
  }
  // Not echoed in full: a mistyped URL may carry a password.
  throw new Error(
    `unknown --transport "${transport.split(':')[0]}": use lmdb, memory or redis://host:port/db`,
  );
}
