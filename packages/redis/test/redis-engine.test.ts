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
    // Far past the contract's deadlines: a publish queued during an outage would hang, not 503.
    const c = await engines(count, { commandTimeoutMs: 60_000 });
    return { nodes: c.nodes.map((n) => n.engine), close: () => c.close() };
  },
  outage: () => server.stop(),
  recover: () => server.start(),
});

/**
 * Every node delivered history exactly once, in order. A sentinel published last is the fence:
 * each node reads the stream in order from where it was, so once it has the sentinel, everything
 * before it (a duplicate included) has been delivered; no "caught up, then sleep".
 */
async function assertDeliveredOnceInOrder(nodes: readonly { engine: RedisEngine; seen: string[] }[]) {
  const sentinel = update(`urn:sentinel:${process.pid}:${++counter}`);
  await retrying(() => nodes[0]!.engine.publish(sentinel));
  await until('every node has the sentinel', () => nodes.every((n) => n.seen.includes(sentinel.id)));
  const history = await historyIds(nodes[0]!.engine);
  assert.equal(history.at(-1), sentinel.id, 'the sentinel is the last update in history');
  for (const [i, n] of nodes.entries())
    assert.deepEqual(n.seen, history, `node ${i}: delivered exactly once, in history order`);
}

describe('RedisEngine', () => {
  it('resumes the stream after its reader connection is killed: nothing skipped, nothing twice', async () => {
    const c = await engines(2);
    try {
      const b = c.nodes[1]!;
      let stop = false;
      let acked = 0;
      const publisher = (async () => {
        let n = 0;
        while (!stop) {
          // CLIENT KILL also cuts the command connection: those publishes fail with 503, fine here.
          await b.engine.publish(update()).then(
            () => acked++,
            () => sleep(5),
          );
          if (++n % 20 === 0) await sleep(1);
        }
      })();
      for (let i = 0; i < 5; i++) {
        // Each kill lands while updates flow (waited for, not slept for: 20 more acknowledged).
        const at = acked;
        await until('publishes flowing', () => acked >= at + 20);
        // Kill every follower connection (both nodes' XREAD BLOCK), as a network blip would.
        await server.command('CLIENT KILL TYPE normal SKIPME yes');
      }
      stop = true;
      await publisher;
      await assertDeliveredOnceInOrder(c.nodes);
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
        // Refused while down: waited for (a publish answered 503 after the stop), not slept for.
        const failedWhileDown = failed.length;
        await until('a publish refused while Redis is down', () => failed.length > failedWhileDown);
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
        await assertDeliveredOnceInOrder(c.nodes);
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
