export { type EngineLogger, logConnection } from './connection-log.js';
export { LuaScript } from './lua-script.js';
export { createRedisEngine, RedisEngine, type RedisEngineOptions } from './redis-engine.js';
export { DEFAULT_STREAM_KEY, type RedisKeys, redisKeys } from './redis-keys.js';
export { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { RedisPushStore } from './redis-push-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
