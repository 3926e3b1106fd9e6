import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import type { HubOptions } from '@tidings/hub';
import { until } from '@tidings/test-support';
import WebSocket from 'ws';
import { type PushFixture, startPushHub } from './support/push-fixture.js';
import { WEBSOCKET } from './support/transport-clients.js';

/**
 * Web Push beside the other transports (docs/push.md, docs/transports.md): an update published
 * over a WebSocket is pushed like one POSTed, and a live WebSocket stream on the presence topic
 * counts as an open page, as an SSE stream does (push-delivery.test.ts).
 */

const T = 'https://example.com/push/ws';
const OTHER = 'https://example.com/push/elsewhere';

const fixtures: PushFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});
async function hub(options: HubOptions = {}): Promise<PushFixture> {
  const fx = await startPushHub(options);
  fixtures.push(fx);
  return fx;
}

describe('Web Push and WebSocket', () => {
  test('an update published over a WebSocket is pushed to an offline subscriber', async () => {
    const fx = await hub({ websocket: { publish: true } });
    const { sub } = await fx.subscriber(T);
    // The publishing socket follows another topic: its first message is the publish's answer.
    const ws = new WebSocket(
      `ws://127.0.0.1:${fx.port}/.well-known/mercure?match=${encodeURIComponent(OTHER)}`,
    );
    await once(ws, 'open');
    const answer = once(ws, 'message').then(([d]) => JSON.parse((d as Buffer).toString('utf8')) as unknown);
    ws.send(new URLSearchParams({ topic: T, data: 'over the socket', id: 'ws-push-1' }).toString());
    assert.deepEqual(await answer, { published: 'ws-push-1' });
    const pushed = await fx.service.next((p) => p.subscription === sub.id);
    assert.deepEqual(JSON.parse(pushed.text), { topic: T, id: 'ws-push-1', data: 'over the socket' });
    assert.deepEqual(fx.service.violations, []);
    ws.close();
  });

  test('a live WebSocket stream on the presence topic keeps the page from being pushed to', async () => {
    const fx = await hub();
    const online = await fx.subscriber(T);
    const offline = await fx.subscriber(T);
    const stream = await WEBSOCKET.open(
      fx,
      `match=${encodeURIComponent(T)}&match=${encodeURIComponent(online.presence)}`,
    );
    const first = await fx.publish({ topic: T, data: 'while open' });
    await stream.waitForId(first.body);
    await fx.service.next((p) => p.subscription === offline.sub.id && JSON.parse(p.text).id === first.body);
    await fx.hub.push!.idle();
    assert.deepEqual(
      fx.service.for(online.sub),
      [],
      'the page with a live WebSocket got it live, not pushed',
    );

    stream.close();
    await until('the WebSocket stream is unregistered', () => fx.hub.subscriberCount === 0);
    const second = await fx.publish({ topic: T, data: 'after close' });
    const got = await fx.service.next((p) => p.subscription === online.sub.id);
    assert.equal(JSON.parse(got.text).id, second.body);
  });
});
