import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHub, endpointId } from '@tidings/hub';
import { assertProblem } from './support/expect-problem.js';
import { type PushFixture, presenceTopic, startPushHub } from './support/push-fixture.js';

/**
 * Registering a push subscription at /.well-known/mercure/push (docs/push.md): what is accepted,
 * what is refused with which code, the bounds per subscriber and in total, unregistering, and
 * the VAPID key kept in the data directory in development.
 */

const T = 'https://example.com/t';
const fixtures: PushFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});
async function hub(options: Parameters<typeof startPushHub>[0] = {}): Promise<PushFixture> {
  const fx = await startPushHub(options);
  fixtures.push(fx);
  return fx;
}

async function problem(fx: PushFixture, body: unknown, method = 'POST', type = 'application/json') {
  const res = await fetch(`${fx.url}/push`, {
    method,
    headers: { 'Content-Type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

test('GET answers the VAPID public key; POST keeps a subscription; DELETE forgets it', async () => {
  const fx = await hub();
  const key = (await (await fetch(`${fx.url}/push`)).json()) as { publicKey: string };
  assert.equal(Buffer.from(key.publicKey, 'base64url').length, 65);
  const sub = fx.service.subscribe();
  const presence = presenceTopic();
  const answer = await fx.register({ subscription: sub.json, match: T, presence });
  assert.equal(answer.status, 201);
  assert.deepEqual(answer.body, { id: endpointId(sub.json.endpoint), presence });
  // Registering the same endpoint again replaces it.
  assert.equal((await fx.register({ subscription: sub.json, match: [T, `${T}/2`], presence })).status, 201);
  assert.equal(await fx.hub.push!.store.count(), 1);
  const del = await fetch(`${fx.url}/push`, {
    method: 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ endpoint: sub.json.endpoint }),
  });
  assert.equal(del.status, 204);
  assert.equal(await fx.hub.push!.store.count(), 0);
  await fx.publish({ topic: T, data: 'nobody' });
  await fx.hub.push!.idle();
  assert.equal(fx.service.requests, 0);
});

test('malformed registrations are refused with invalid_push_subscription', async () => {
  const fx = await hub();
  const ok = fx.service.subscribe().json;
  const presence = presenceTopic();
  const cases: [string, unknown][] = [
    ['not JSON', '{'],
    ['no subscription', { match: T, presence }],
    ['ftp endpoint', { subscription: { ...ok, endpoint: 'ftp://x/y' }, match: T, presence }],
    [
      'credentials in the endpoint',
      { subscription: { ...ok, endpoint: 'http://u:p@127.0.0.1/x' }, match: T, presence },
    ],
    ['short p256dh', { subscription: { ...ok, keys: { ...ok.keys, p256dh: 'AAAA' } }, match: T, presence }],
    [
      'p256dh off the curve',
      {
        subscription: { ...ok, keys: { ...ok.keys, p256dh: Buffer.alloc(65, 4).toString('base64url') } },
        match: T,
        presence,
      },
    ],
    ['short auth', { subscription: { ...ok, keys: { ...ok.keys, auth: 'AAAA' } }, match: T, presence }],
    ['expired', { subscription: { ...ok, expirationTime: Date.now() - 1000 }, match: T, presence }],
    ['no selector', { subscription: ok, presence }],
    ['no presence and no subject', { subscription: ok, match: T }],
    ['presence outside the namespace', { subscription: ok, match: T, presence: 'https://example.com/me' }],
    ['presence id too short', { subscription: ok, match: T, presence: 'urn:tidings:presence:abc' }],
  ];
  for (const [name, body] of cases) {
    const a = await problem(fx, body);
    assert.equal(a.status, 400, `${name}: ${a.body}`);
    assertProblem(a, 'invalid_push_subscription');
  }
  assertProblem(
    await problem(fx, { subscription: ok, match_urlpattern: 'https://[', presence }),
    'invalid_selector',
  );
  assertProblem(await problem(fx, 'x', 'POST', 'text/plain'), 'unsupported_media_type');
  assertProblem(await problem(fx, { subscription: ok, match: T, presence }, 'PUT'), 'method_not_allowed');
  assert.equal(await fx.hub.push!.store.count(), 0);
});

test('https endpoints only unless http is allowed; endpointHosts restricts the hosts', async () => {
  const fx = await hub({ push: { allowHttpEndpoints: false } });
  const body = { subscription: fx.service.subscribe().json, match: T, presence: presenceTopic() };
  assertProblem(await problem(fx, body), 'invalid_push_subscription');
  const only = await hub({ push: { endpointHosts: ['push.example'] } });
  assertProblem(await problem(only, body), 'invalid_push_subscription');
});

test('bounded per subscriber and in total, each with its code', async () => {
  const fx = await hub({ limits: { maxPushSubscriptions: 3, maxPushSubscriptionsPerSubscriber: 2 } });
  const presence = presenceTopic();
  for (let i = 0; i < 2; i++) {
    assert.equal(
      (await fx.register({ subscription: fx.service.subscribe().json, match: T, presence })).status,
      201,
    );
  }
  assertProblem(
    await problem(fx, { subscription: fx.service.subscribe().json, match: T, presence }),
    'too_many_push_subscriptions_subscriber',
  );
  assert.equal(
    (await fx.register({ subscription: fx.service.subscribe().json, match: T, presence: presenceTopic() }))
      .status,
    201,
  );
  assertProblem(
    await problem(fx, { subscription: fx.service.subscribe().json, match: T, presence: presenceTopic() }),
    'too_many_push_subscriptions',
  );
  assert.equal(await fx.hub.push!.store.count(), 3);
});

test('a hub that requires tokens refuses an anonymous registration', async () => {
  const fx = await hub({ subscriberKeys: ['a-subscriber-secret-of-at-least-32-bytes'], anonymous: false });
  const a = await problem(fx, {
    subscription: fx.service.subscribe().json,
    match: T,
    presence: presenceTopic(),
  });
  assertProblem(a, 'missing_token', { challenge: 'none' });
});

test('development keys are generated once into the key file and reused after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tidings-vapid-'));
  try {
    const file = join(dir, 'data', 'vapid.json');
    const first = await createHub({ push: { vapidFile: file } });
    const key = first.push!.publicKey;
    await first.close();
    assert.equal(((await stat(file)).mode & 0o777).toString(8), '600');
    assert.equal(JSON.parse(await readFile(file, 'utf8')).publicKey, key);
    const second = await createHub({ push: { vapidFile: file } });
    assert.equal(second.push!.publicKey, key);
    await second.close();
    await assert.rejects(
      createHub({ subscriberKeys: ['a-subscriber-secret-of-at-least-32-bytes'], push: {} }),
      /VAPID key pair/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
