import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createHub, generateVapidKeys, type Hub } from '@tidings/hub';
import {
  FakePushService,
  type FakeSubscription,
  type RedisServer,
  runPushStoreContract,
  startRedisServer,
} from '@tidings/test-support';
import { Redis } from 'ioredis';
import { createRedisEngine } from '../src/redis-engine.js';
import { redisKeys } from '../src/redis-keys.js';
import { RedisPushStore } from '../src/redis-push-store.js';

/**
 * Web Push on the Redis engine (issue 18): push subscriptions live in Redis (the push store
 * contract, and a registration on one node is pushed by another), and presence is the
 * cluster's: a live stream on any node means no push, from whichever node the update came.
 */

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.dispose();
});

let keyN = 0;
const clients: Redis[] = [];
runPushStoreContract('Redis', {
  async open() {
    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    clients.push(client);
    return new RedisPushStore(client, redisKeys(`push-contract:${process.pid}:${++keyN}`));
  },
  async reopen() {
    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    clients.push(client);
    return new RedisPushStore(client, redisKeys(`push-contract:${process.pid}:${keyN}`));
  },
  async dispose() {
    for (const c of clients) c.disconnect();
  },
});

const T = 'https://example.com/cluster';

describe('push across Redis nodes', () => {
  let service: FakePushService;
  let a: Hub;
  let b: Hub;
  let urlA: string;
  let urlB: string;
  before(async () => {
    service = await FakePushService.start();
    const streamKey = `push-nodes:${process.pid}`;
    // Every node signs with the same VAPID pair: a browser subscribed with its public key.
    const vapid = generateVapidKeys();
    const node = async () => {
      const hub = await createHub({
        engine: await createRedisEngine({ url: server.url, streamKey, readBlockMs: 200 }),
        heartbeatMs: 0,
        push: { vapid, allowHttpEndpoints: true, retryBaseMs: 50 },
        limits: { publishRatePerSecond: 0 },
      });
      const { port } = await hub.listen(0);
      return { hub, url: `http://127.0.0.1:${port}/.well-known/mercure` };
    };
    ({ hub: a, url: urlA } = await node());
    ({ hub: b, url: urlB } = await node());
    service.expectedVapidKey = vapid.publicKey;
  });
  after(async () => {
    await a.close();
    await b.close();
    await service.close();
  });

  async function register(url: string, sub: FakeSubscription, presence: string): Promise<void> {
    const res = await fetch(`${url}/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ subscription: sub.json, match: T, presence }),
    });
    assert.equal(res.status, 201, await res.text());
  }

  async function publish(url: string, data: string): Promise<string> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ topic: T, data }),
    });
    assert.equal(res.status, 200);
    return res.text();
  }

  async function until(ok: () => Promise<boolean> | boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a stream on node B keeps node A from pushing; once it ends, A pushes', async () => {
    const presence = `urn:tidings:presence:${randomBytes(16).toString('base64url')}`;
    const sub = service.subscribe();
    await register(urlA, sub, presence);
    const other = service.subscribe();
    await register(urlB, other, `urn:tidings:presence:${randomBytes(16).toString('base64url')}`);
    assert.equal(await b.push!.store.count(), 2, 'both nodes see both registrations');

    const controller = new AbortController();
    const stream = await fetch(
      `${urlB}?match=${encodeURIComponent(T)}&match=${encodeURIComponent(presence)}`,
      {
        signal: controller.signal,
      },
    );
    assert.equal(stream.status, 200);
    // Presence reaches Redis asynchronously: wait until node A can see it.
    await until(async () => (await a.push!.presence.online([`t:${presence}`])).size === 1, 'presence on A');

    const first = await publish(urlA, 'while B streams');
    await service.next((p) => p.subscription === other.id && JSON.parse(p.text).id === first);
    await a.push!.idle();
    assert.deepEqual(service.for(sub), [], 'the owner streaming on B got it live, not pushed');

    controller.abort();
    await until(
      async () => (await a.push!.presence.online([`t:${presence}`])).size === 0,
      'presence gone on A',
    );
    const second = await publish(urlA, 'after B closed');
    const got = await service.next((p) => p.subscription === sub.id);
    assert.equal(JSON.parse(got.text).id, second);
    assert.deepEqual(service.violations, []);
  });

  it('a subscription registered on A is pushed by B, and a 410 seen by B removes it for A too', async () => {
    const sub = service.subscribe();
    await register(urlA, sub, `urn:tidings:presence:${randomBytes(16).toString('base64url')}`);
    service.answer(sub, 410);
    const before = await a.push!.store.count();
    await publish(urlB, 'from B');
    await service.next((p) => p.subscription === sub.id);
    await b.push!.idle();
    assert.equal(await a.push!.store.count(), before - 1);
  });
});
