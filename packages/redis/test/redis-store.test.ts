import { after, before } from 'node:test';
import { type RedisServer, runStoreContract, startRedisServer } from '@tidings/test-support';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/redis-store.js';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.dispose();
});

let n = 0;
runStoreContract(
  'RedisStore',
  async (options) => {
    // Each test gets its own keys in one server; a client per store, as a restarted process has.
    const streamKey = `contract:${process.pid}:${++n}`;
    const open = async () => {
      const client = new Redis(server.url, { enableOfflineQueue: false, lazyConnect: true });
      await client.connect();
      const store = new RedisStore({
        client,
        streamKey,
        ownsClient: true,
        maxLen: options.maxCount,
        ...(options.maxAgeMs !== undefined && { maxAgeMs: options.maxAgeMs }),
        ...(options.now !== undefined && { now: options.now }),
      });
      await store.trimAll();
      return store;
    };
    let last = await open();
    return {
      store: last,
      reopen: async () => {
        last = await open();
        return last;
      },
      cleanup: async () => {
        await last.close();
      },
    };
  },
  { ageRetention: true },
);
