import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUpdate, type Update } from '@tidings/hub';
import {
  freePort,
  historyIds,
  isUnavailable,
  type RedisServer,
  retrying,
  runEngineContract,
  startRedisServer,
  until,
} from '@tidings/test-support';
import { createRedisEngine, type RedisEngine, type RedisEngineOptions } from '../src/redis-engine.js';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.dispose();
});

let counter = 0;
function update(id = `urn:uuid:engine-${process.pid}-${++counter}`): Update {
  return createUpdate({ topics: ['https://example.com/t'], data: `data of ${id}`, private: false, id });
}

let keyN = 0;
async function engines(count: number, extra: Partial<RedisEngineOptions> = {}) {
  const streamKey = `engine:${process.pid}:${++keyN}`;
  const list: { engine: RedisEngine; seen: string[] }[] = [];
  for (let i = 0; i < count; i++) {
    const engine = (await createRedisEngine({
      url: server.url,
      streamKey,
      readBlockMs: 500,
      reconnectMaxMs: 200,
      ...extra,
    })) as RedisEngine;
    const seen: string[] = [];
    engine.onUpdate((u) => seen.push(u.id));
    list.push({ engine, seen });
  }
  return {
    streamKey,
    nodes: list,
    async close() {
      await Promise.all(list.map((n) => n.engine.close()));
    },
  };
}

runEngineContract('RedisEngine', {
  maxNodes: Number.POSITIVE_INFINITY,
  readinessFollowsOutage: true,
  async start(count) {
    const c = await engines(count);
    return { nodes: c.nodes.map((n) => n.engine), close: () => c.close() };
  },
  outage: () => server.stop(),
  recover: () => server.start(),
});

describe('RedisEngine', () => {
  it('resumes the stream after its reader connection is killed: nothing skipped, nothing twice', async () => {
    const c = await engines(2);
    try {
      const [a, b] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
      let stop = false;
      const publisher = (async () => {
        let n = 0;
        while (!stop) {
          // CLIENT KILL also cuts the command connection: those publishes fail with 503, fine here.
          await b.engine.publish(update()).catch(() => sleep(5));
          if (++n % 20 === 0) await sleep(1);
        }
      })();
      for (let i = 0; i < 5; i++) {
        await sleep(60);
        // Kill every follower connection (both nodes' XREAD BLOCK), as a network blip would.
        await server.command('CLIENT KILL TYPE normal SKIPME yes');
      }
      stop = true;
      await publisher;
      const history = await historyIds(a.engine);
      await until('both nodes caught up', () => c.nodes.every((n) => n.seen.length >= history.length));
      await sleep(100);
      for (const n of c.nodes) assert.deepEqual(n.seen, history);
    } finally {
      await c.close();
    }
  });

  it('fails fast when Redis is unreachable at start, without printing the password', async () => {
    const port = await freePort();
    await assert.rejects(
      createRedisEngine({ url: `redis://user:s3cret@127.0.0.1:${port}/0`, connectTimeoutMs: 500 }),
      (err: Error) => !err.message.includes('s3cret') && err.message.includes(String(port)),
    );
  });

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`survives a Redis restart (${how}) under load: 503 while down, every acknowledged publish kept and delivered once, in order`, async () => {
      // History large enough to keep everything this test publishes (retention is tested elsewhere).
      const c = await engines(2, { commandTimeoutMs: 1000, maxLen: 1_000_000 });
      try {
        const acked: string[] = [];
        const failed: unknown[] = [];
        let stop = false;
        const publishers = c.nodes.map(async (node, p) => {
          while (!stop) {
            const u = update(`urn:restart:${p}:${++counter}`);
            try {
              await node.engine.publish(u);
              acked.push(u.id);
            } catch (err) {
              failed.push(err);
              await sleep(5);
            }
          }
        });
        await until('some acknowledged publishes', () => acked.length >= 200);
        if (how === 'SIGTERM') await server.stop();
        else await server.kill(); // appendfsync always: what Redis answered is on disk
        await sleep(400);
        await server.start();
        await until('ready again', () => c.nodes.every((n) => n.engine.isReady()));
        const ackedBeforeEnd = acked.length;
        await until('publishing again', () => acked.length >= ackedBeforeEnd + 200);
        stop = true;
        await Promise.all(publishers);

        assert.ok(failed.length > 0, 'some publishes were attempted while Redis was down');
        assert.ok(
          failed.every(isUnavailable),
          `only store_unavailable: ${String(failed.find((e) => !isUnavailable(e)))}`,
        );
        const history = await historyIds(c.nodes[0]!.engine);
        const inHistory = new Set(history);
        assert.ok(
          history.length >= acked.length,
          `${history.length} in history, ${acked.length} acknowledged`,
        );
        const lost = acked.filter((id) => !inHistory.has(id));
        assert.deepEqual(lost, [], 'every acknowledged publish is in history');
        await until('both nodes caught up', () => c.nodes.every((n) => n.seen.length >= history.length));
        await sleep(100);
        for (const n of c.nodes)
          assert.deepEqual(n.seen, history, 'delivered exactly once, in history order');
      } finally {
        await c.close();
      }
    });
  }

  it('after Redis loses its data (FLUSHALL), old ids are unknown and new updates still flow', async () => {
    const c = await engines(2);
    try {
      const old = update();
      await c.nodes[0]!.engine.publish(old);
      await until('seen', () => c.nodes.every((n) => n.seen.length === 1));
      await server.command('FLUSHALL');
      // The followers reconnect (as after a Redis restart without persistence).
      await server.command('CLIENT KILL TYPE normal SKIPME yes');
      await until('ready', () => c.nodes.every((n) => n.engine.isReady()));
      assert.deepEqual(await retrying(() => c.nodes[1]!.engine.history.readAfter(old.id, 10)), {
        found: false,
        updates: [],
        more: false,
      });
      const fresh = [update(), update(), update()];
      for (const u of fresh) await retrying(() => c.nodes[1]!.engine.publish(u));
      await until('fresh seen', () => c.nodes.every((n) => n.seen.length === 4));
      for (const n of c.nodes) assert.deepEqual(n.seen, [old.id, ...fresh.map((u) => u.id)]);
      // The same id as before the wipe is not a duplicate any more.
      await retrying(() => c.nodes[0]!.engine.publish(update(old.id)));
    } finally {
      await c.close();
    }
  });
});
