import { Redis, type RedisOptions } from 'ioredis';
import type { RedisEngineOptions } from './redis-engine.js';

/** The engine's two connections: commands (publish, history, push, presence) and the stream reader. */
export interface RedisClients {
  readonly commands: Redis;
  readonly reader: Redis;
}

/**
 * Both connections, not connected yet (`lazyConnect`: createRedisEngine connects them and fails
 * fast). Neither queues nor replays a command across a reconnect, and both reconnect with a
 * doubling backoff plus jitter, so nodes that lost Redis together do not come back in step.
 */
export function redisClients(options: RedisEngineOptions, readBlockMs: number): RedisClients {
  const min = Math.max(1, options.reconnectMinMs ?? 50);
  const max = Math.max(min, options.reconnectMaxMs ?? 2000);
  const base: RedisOptions = {
    // Never queue or replay a command across a reconnect: a publish is answered now, by Redis.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) =>
      Math.min(max, min * 2 ** Math.min(times - 1, 20)) + Math.floor(Math.random() * min),
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    lazyConnect: true,
  };
  return {
    commands: new Redis(options.url, {
      ...base,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectionName: 'tidings-commands',
    }),
    reader: new Redis(options.url, {
      ...base,
      // XREAD BLOCK returns at least every readBlockMs: a reply later than that means a dead socket.
      blockingTimeout: readBlockMs,
      connectionName: 'tidings-reader',
    }),
  };
}
