import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { endpointId } from '@tidings/hub';
import { type PushFixture, startPushHub } from './support/push-fixture.js';
import { metric, waitForMetric } from './support/read-metrics.js';
import { SseReader } from './support/sse-reader.js';

/**
 * A push service is an unreliable peer (issue 18 item 3): 404 and 410 remove the subscription,
 * 429 and 5xx are retried with backoff no sooner than Retry-After, a host that keeps failing has
 * its circuit broken, the queue is bounded, and a push service that never answers delays
 * neither publishing nor streaming.
 */

const T = 'https://example.com/news';
const fixtures: PushFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});
async function hub(options: Parameters<typeof startPushHub>[0] = {}): Promise<PushFixture> {
  const fx = await startPushHub(options);
  fixtures.push(fx);
  return fx;
}

for (const status of [410, 404] as const) {
  test(`${status} removes the subscription: it is not pushed to again`, async () => {
    const fx = await hub();
    const gone = await fx.subscriber(T);
    const kept = await fx.subscriber(T);
    fx.service.answer(gone.sub, status);
    await fx.publish({ topic: T, data: 'one' });
    await fx.hub.push!.idle();
    assert.equal(await metric(fx.url, 'tidings_push_removed_total', '{reason="gone"}'), 1);
    assert.equal(await fx.hub.push!.store.get(endpointId(gone.sub.json.endpoint)), undefined);
    const two = await fx.publish({ topic: T, data: 'two' });
    await fx.service.next((p) => p.subscription === kept.sub.id && JSON.parse(p.text).id === two.body);
    await fx.hub.push!.idle();
    assert.equal(fx.service.for(gone.sub).length, 1, 'one request, answered with the removal');
    assert.equal(await metric(fx.url, 'tidings_push_subscriptions'), 1);
  });
}

test('429 is retried no sooner than its Retry-After; 500 is retried with backoff', async () => {
  const fx = await hub();
  const throttled = await fx.subscriber(T);
  const failing = await fx.subscriber('https://example.com/other');
  fx.service.answer(throttled.sub, { status: 429, retryAfter: '1' });
  fx.service.answer(failing.sub, 500, 503);
  const a = await fx.publish({ topic: T, data: 'throttled' });
  const b = await fx.publish({ topic: 'https://example.com/other', data: 'failing' });
  await fx.hub.push!.idle();
  const tries = fx.service.for(throttled.sub);
  assert.deepEqual(
    tries.map((p) => [JSON.parse(p.text).id, p.answer]),
    [
      [a.body, { status: 429, retryAfter: '1' }],
      [a.body, 201],
    ],
  );
  assert.ok(
    tries[1]!.at - tries[0]!.at >= 1000,
    `retried after ${tries[1]!.at - tries[0]!.at} ms, not before Retry-After`,
  );
  assert.deepEqual(
    fx.service.for(failing.sub).map((p) => [JSON.parse(p.text).id, p.answer]),
    [
      [b.body, 500],
      [b.body, 503],
      [b.body, 201],
    ],
  );
  assert.equal(await metric(fx.url, 'tidings_push_sent_total'), 2);
  assert.equal(await metric(fx.url, 'tidings_push_attempts_total'), 5);
});

test('a message is given up after maxPushAttempts', async () => {
  const fx = await hub({ limits: { maxPushAttempts: 2 } });
  const { sub } = await fx.subscriber(T);
  fx.service.answer(sub, 500, 500, 500);
  await fx.publish({ topic: T, data: 'doomed' });
  await fx.hub.push!.idle();
  assert.equal(fx.service.for(sub).length, 2);
  assert.equal(await metric(fx.url, 'tidings_push_failed_total', '{reason="attempts"}'), 1);
});

test('the circuit breaker of a failing host stops requests to it until its cooldown', async () => {
  const fx = await hub({
    limits: { maxPushAttempts: 1, pushConcurrency: 1 },
    push: { breakerFailures: 2, breakerCooldownMs: 60_000 },
  });
  const { sub } = await fx.subscriber(T);
  fx.service.answer(sub, 500, 500, 500, 500, 500);
  for (let i = 0; i < 5; i++) await fx.publish({ topic: T, data: `n${i}` });
  // Two failures open the breaker; the three other messages wait for the cooldown, unsent.
  await waitForMetric(fx.url, 'tidings_push_queued', '', (v) => v === 3);
  assert.equal(await metric(fx.url, 'tidings_push_open_breakers'), 1);
  assert.equal(fx.service.requests, 2);
  assert.equal(await metric(fx.url, 'tidings_push_failed_total', '{reason="attempts"}'), 2);
});

test('a push service that never answers delays neither publishes nor streams', async () => {
  const fx = await hub({ limits: { pushTimeoutMs: 60_000, pushConcurrency: 2 } });
  const { sub } = await fx.subscriber(T);
  fx.service.answer(sub, ...Array<'hang'>(100).fill('hang'));
  const stream = await SseReader.open(`${fx.url}?match=${encodeURIComponent(T)}`);
  const first = await fx.publish({ topic: T, data: 'hangs' });
  await fx.service.next((p) => p.answer === 'hang' && JSON.parse(p.text).id === first.body);
  const started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    const r = await fx.publish({ topic: T, data: `m${i}` });
    assert.equal(r.status, 200);
    ids.push(r.body);
  }
  await stream.waitForId(ids.at(-1)!);
  const took = Date.now() - started;
  // Both request slots are taken by requests that will not be answered for a minute.
  await waitForMetric(fx.url, 'tidings_push_queued', '', (v) => v === 51);
  assert.equal(fx.service.received.length, 2, 'two requests in flight, hanging');
  assert.ok(took < 10_000, `50 publishes and their delivery took ${took} ms with the push service hanging`);
  stream.close();
});

test('the queue is bounded: past maxPushQueue a message is dropped and counted', async () => {
  const fx = await hub({ limits: { pushTimeoutMs: 60_000, pushConcurrency: 1, maxPushQueue: 3 } });
  const { sub } = await fx.subscriber(T);
  fx.service.answer(sub, ...Array<'hang'>(10).fill('hang'));
  for (let i = 0; i < 5; i++) await fx.publish({ topic: T, data: `q${i}` });
  await waitForMetric(fx.url, 'tidings_push_failed_total', '{reason="queue_full"}', (v) => v === 2);
  assert.equal(await metric(fx.url, 'tidings_push_queued'), 3);
});
