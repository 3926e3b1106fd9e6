import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { endpointId, LmdbStore, LocalEngine, MAX_PUSH_PLAINTEXT } from '@tidings/hub';
import { atClaims, nowSeconds, SECRET, SUBSCRIBER_SECRET, sign } from './auth-fixtures.js';
import { type PushFixture, startPushHub } from './support/push-fixture.js';
import { metric } from './support/read-metrics.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Web Push to subscribers who are offline (issue 18, docs/push.md), against a fake push service
 * that checks VAPID and decrypts every payload (packages/test-support/src/fake-push-service.ts):
 * what is sent, to whom (only owners without a live stream, private updates only where a token
 * grants them), and that tokens are verified again at every delivery.
 */

const T = 'https://example.com/books/1';
const U = 'https://example.com/books/2';

const fixtures: PushFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});
async function hub(options: Parameters<typeof startPushHub>[0] = {}): Promise<PushFixture> {
  const fx = await startPushHub(options);
  fixtures.push(fx);
  return fx;
}

describe('what is pushed', () => {
  test('an offline subscriber gets the update: VAPID-signed, encrypted, with TTL, Urgency and Topic', async () => {
    const fx = await hub({ push: { ttlSeconds: 120, urgency: 'high' } });
    const { sub } = await fx.subscriber([T, U]);
    const a = await fx.publish({ topic: T, data: 'first', type: 'book' });
    const b = await fx.publish({ topic: T, data: 'second' });
    const c = await fx.publish({ topic: U, data: 'third' });
    const pc = await fx.service.next((p) => JSON.parse(p.text).id === c.body);
    await fx.hub.push!.idle();
    assert.deepEqual(fx.payloads(sub), [
      { topic: T, id: a.body, type: 'book', data: 'first' },
      { topic: T, id: b.body, data: 'second' },
      { topic: U, id: c.body, data: 'third' },
    ]);
    const [pa, pb] = fx.service.for(sub);
    assert.equal(pa!.ttl, 120);
    assert.equal(pa!.urgency, 'high');
    assert.match(pa!.topic ?? '', /^[A-Za-z0-9_-]{32}$/);
    // One Topic per canonical topic: a newer update replaces a pending one at the push service.
    assert.equal(pb!.topic, pa!.topic);
    assert.notEqual(pc.topic, pa!.topic);
    assert.equal(pa!.claims.sub, 'mailto:push@tidings.invalid');
    assert.deepEqual(fx.service.violations, []);
    assert.equal(await metric(fx.url, 'tidings_push_sent_total'), 3);
  });

  test('data that would not fit the 4 KB message is left out: the page fetches the update by id', async () => {
    const fx = await hub();
    const { sub } = await fx.subscriber(T);
    const big = await fx.publish({ topic: T, data: 'x'.repeat(MAX_PUSH_PLAINTEXT) });
    const fits = await fx.publish({ topic: T, data: 'y'.repeat(MAX_PUSH_PLAINTEXT - 200) });
    await fx.service.next((p) => JSON.parse(p.text).id === fits.body);
    assert.deepEqual(fx.payloads(sub)[0], { topic: T, id: big.body });
    assert.equal(fx.payloads(sub)[1]?.data?.length, MAX_PUSH_PLAINTEXT - 200);
    assert.deepEqual(fx.service.violations, []);
  });
});

describe('only offline subscribers', () => {
  test('an owner with a live stream is not pushed to; once the stream ends, it is', async () => {
    const fx = await hub();
    const online = await fx.subscriber(T);
    const offline = await fx.subscriber(T);
    const stream = await SseReader.open(
      `${fx.url}?match=${encodeURIComponent(T)}&match=${encodeURIComponent(online.presence)}`,
    );
    const first = await fx.publish({ topic: T, data: 'while open' });
    await stream.waitForId(first.body);
    await fx.service.next((p) => p.subscription === offline.sub.id && JSON.parse(p.text).id === first.body);
    await fx.hub.push!.idle();
    assert.deepEqual(fx.service.for(online.sub), [], 'the page with a live stream got it live, not pushed');
    assert.equal(await metric(fx.url, 'tidings_push_skipped_total', '{reason="online"}'), 1);

    stream.close();
    const deadline = Date.now() + 10_000;
    while (fx.hub.subscriberCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fx.hub.subscriberCount, 0, 'the stream ended');
    const second = await fx.publish({ topic: T, data: 'after close' });
    const got = await fx.service.next((p) => p.subscription === online.sub.id);
    assert.equal(JSON.parse(got.text).id, second.body);
  });

  test('with a token, the owner is its subject: any live stream of that subject counts', async () => {
    const fx = await hub({ publisherKeys: [SECRET], subscriberKeys: [SUBSCRIBER_SECRET], anonymous: true });
    const token = await sign(atClaims(['subscribe'], [T], { sub: 'alice' }), { key: SUBSCRIBER_SECRET });
    const auth = { Authorization: `Bearer ${token}` };
    const { sub } = await fx.subscriber(T, { headers: auth, presence: null });
    const publisher = { Authorization: `Bearer ${await sign(atClaims(['publish'], ['*']))}` };
    const stream = await SseReader.open(`${fx.url}?match=${encodeURIComponent(U)}`, auth);
    await fx.publish({ topic: T, data: 'alice is on another page' }, publisher);
    await fx.hub.push!.idle();
    assert.deepEqual(fx.service.for(sub), []);
    stream.close();
    const deadline = Date.now() + 10_000;
    while (fx.hub.subscriberCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const after = await fx.publish({ topic: T, data: 'alice left' }, publisher);
    const got = await fx.service.next((p) => p.subscription === sub.id);
    assert.equal(JSON.parse(got.text).id, after.body);
  });
});

describe('authorization at every delivery', () => {
  const publisherHeaders = async () => ({
    Authorization: `Bearer ${await sign(atClaims(['publish'], ['*']))}`,
  });

  test('a private update is pushed only to subscriptions whose token grants one of its topics', async () => {
    const fx = await hub({ publisherKeys: [SECRET], subscriberKeys: [SUBSCRIBER_SECRET], anonymous: true });
    const bearer = async (topics: string[]) => ({
      Authorization: `Bearer ${await sign(atClaims(['subscribe'], topics), { key: SUBSCRIBER_SECRET })}`,
    });
    const anonymous = await fx.subscriber(T);
    const granted = await fx.subscriber(T, { headers: await bearer([T]) });
    const other = await fx.subscriber(T, { headers: await bearer([U]) });
    const publisher = await publisherHeaders();
    const secret = await fx.publish({ topic: T, data: 'for granted eyes', private: 'on' }, publisher);
    const open = await fx.publish({ topic: T, data: 'for everyone' }, publisher);
    await fx.service.next((p) => p.subscription === anonymous.sub.id && JSON.parse(p.text).id === open.body);
    await fx.hub.push!.idle();
    assert.deepEqual(
      fx.payloads(granted.sub).map((p) => p.id),
      [secret.body, open.body],
    );
    assert.deepEqual(
      fx.payloads(anonymous.sub).map((p) => p.id),
      [open.body],
    );
    assert.deepEqual(
      fx.payloads(other.sub).map((p) => p.id),
      [open.body],
    );
    assert.equal(await metric(fx.url, 'tidings_push_skipped_total', '{reason="forbidden"}'), 2);
  });

  test('an expired token stops the pushes and its subscription is removed', async () => {
    let skew = 0;
    const now = () => Date.now() + skew;
    const fx = await hub({ subscriberKeys: [SUBSCRIBER_SECRET], anonymous: true, now });
    const token = await sign(
      { ...atClaims(['subscribe'], [T]), exp: nowSeconds() + 60 },
      { key: SUBSCRIBER_SECRET },
    );
    const { sub } = await fx.subscriber(T, { headers: { Authorization: `Bearer ${token}` } });
    const before = await fx.publish({ topic: T, data: 'while valid' });
    await fx.service.next((p) => JSON.parse(p.text).id === before.body);
    skew = 120_000;
    await fx.publish({ topic: T, data: 'after exp' });
    await fx.hub.push!.idle();
    assert.deepEqual(
      fx.payloads(sub).map((p) => p.id),
      [before.body],
    );
    assert.equal(await metric(fx.url, 'tidings_push_removed_total', '{reason="expired"}'), 1);
    assert.equal(await fx.hub.push!.store.count(), 0);
  });

  test('a revoked token (its key no longer accepted after a restart) stops the pushes; kept records survive the restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidings-push-'));
    try {
      const engine = () => new LocalEngine(new LmdbStore({ dir }));
      const first = await startPushHub({
        engine: engine(),
        subscriberKeys: [SUBSCRIBER_SECRET],
        anonymous: true,
      });
      const token = await sign(atClaims(['subscribe'], [T]), { key: SUBSCRIBER_SECRET });
      const kept = await first.subscriber(T, { headers: { Authorization: `Bearer ${token}` } });
      const anonymous = await first.subscriber(T);
      await first.close();

      const rotated = 'a-new-subscriber-secret-of-32-bytes-or-more';
      const second = await startPushHub({ engine: engine(), subscriberKeys: [rotated], anonymous: true });
      fixtures.push(second);
      assert.equal(await second.hub.push!.store.count(), 2, 'both subscriptions survived the restart');
      await second.publish({ topic: T, data: 'after rotation' });
      await second.hub.push!.idle();
      assert.equal(await metric(second.url, 'tidings_push_removed_total', '{reason="token"}'), 1);
      assert.equal(await second.hub.push!.store.count(), 1);
      const { store } = second.hub.push!;
      assert.equal(await store.get(endpointId(kept.sub.json.endpoint)), undefined, 'the revoked one is gone');
      assert.ok(
        (await store.get(endpointId(anonymous.sub.json.endpoint))) !== undefined,
        'the anonymous one stays',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
