/**
 * Issue 16 item 2, what is the poll's own (the protocol shared with every transport is in
 * transport-poll.test.ts): the current cursor without one, never a private id the client may not
 * read; ETag and 304; `wait` bounds and malformed values; bounded answers whose cursor continues;
 * content negotiation; a long poll answered by a publish, and by shutdown; curl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { HubOptions } from '@tidings/hub';
import { wantsJson } from '../src/transports/poll/poll-request.js';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';
import { until } from './support/transport-contract.js';

const TOPIC = 'https://example.com/poll/1';
const fixtures: HubFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});

async function hub(options: HubOptions = {}): Promise<HubFixture> {
  const fx = await startHub(options);
  fixtures.push(fx);
  return fx;
}

interface Polled {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly events: { id: string; type?: string; data: string }[];
  readonly cursor: string | undefined;
}

async function poll(fx: HubFixture, query: string, headers: Record<string, string> = {}): Promise<Polled> {
  const res = await fetch(`${fx.url}?${query}`, { headers: { Accept: 'application/json', ...headers } });
  const text = await res.text();
  const body =
    res.status === 200
      ? (JSON.parse(text) as { events: Polled['events']; last_event_id: string })
      : undefined;
  return {
    status: res.status,
    headers: res.headers,
    text,
    events: body?.events ?? [],
    cursor: body?.last_event_id,
  };
}

const match = `match=${encodeURIComponent(TOPIC)}`;

describe('poll: the cursor', () => {
  test('without a cursor: no events and the current cursor (earliest on an empty history)', async () => {
    const fx = await hub();
    const empty = await poll(fx, match);
    assert.deepEqual([empty.status, empty.events, empty.cursor], [200, [], 'earliest']);
    const id = (await fx.publish({ topic: TOPIC, data: 'one' })).body;
    const now = await poll(fx, match);
    assert.deepEqual([now.events, now.cursor], [[], id]);
    assert.equal(now.headers.get('etag'), `"${id}"`);
    const next = (await fx.publish({ topic: TOPIC, data: 'two' })).body;
    assert.deepEqual((await poll(fx, `${match}&last_event_id=${encodeURIComponent(id)}`)).events, [
      { id: next, data: 'two' },
    ]);
  });

  test('the id of a private update the client may not read is never the cursor', async () => {
    const fx = await hub(SIGNED_HUB);
    const publisher = { Authorization: `Bearer ${await publisherToken()}` };
    const open = (await fx.publish({ topic: TOPIC, data: 'public' }, publisher)).body;
    const secret = (await fx.publish({ topic: `${TOPIC}/secret`, data: 's', private: 'on' }, publisher)).body;
    assert.equal((await poll(fx, match)).cursor, open, 'anonymous: the newest update it may read');
    const granted = { Authorization: `Bearer ${await subscriberToken([`${TOPIC}/secret`])}` };
    assert.equal((await poll(fx, match, granted)).cursor, secret, 'granted: the newest');
  });

  test('ETag is the cursor; If-None-Match with it gets 304 and no body', async () => {
    const fx = await hub();
    const id = (await fx.publish({ topic: TOPIC, data: 'one' })).body;
    const query = `${match}&last_event_id=${encodeURIComponent(id)}`;
    const unchanged = await poll(fx, query, { 'If-None-Match': `"${id}"` });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.text, '');
    assert.equal(unchanged.headers.get('etag'), `"${id}"`);
    assert.equal(unchanged.headers.get('cache-control'), 'private, no-cache');
    assert.match(unchanged.headers.get('vary') ?? '', /Accept/);
    const next = (await fx.publish({ topic: TOPIC, data: 'two' })).body;
    const changed = await poll(fx, query, { 'If-None-Match': `"${id}"` });
    assert.equal(changed.status, 200);
    assert.equal(changed.headers.get('etag'), `"${next}"`);
    assert.deepEqual(changed.events, [{ id: next, data: 'two' }]);
  });

  test('an answer holds at most maxPollEvents events and maxQueueBytes, and the cursor continues', async () => {
    const fx = await hub({ limits: { maxPollEvents: 3, maxQueueBytes: 4096 } });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await fx.publish({ topic: TOPIC, data: `small ${i}` })).body);
    const got: string[] = [];
    let cursor = 'earliest';
    const sizes: number[] = [];
    for (;;) {
      const p = await poll(fx, `${match}&last_event_id=${encodeURIComponent(cursor)}`);
      if (p.events.length === 0) break;
      sizes.push(p.events.length);
      got.push(...p.events.map((e) => e.id));
      cursor = p.cursor!;
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(got, ids, 'every event once, in order');
    const big = 'x'.repeat(3000);
    const large = [];
    for (let i = 0; i < 2; i++) large.push((await fx.publish({ topic: TOPIC, data: big })).body);
    const first = await poll(fx, `${match}&last_event_id=${encodeURIComponent(cursor)}`);
    assert.deepEqual(
      first.events.map((e) => e.id),
      [large[0]],
      'the second large event did not fit in 4 KiB',
    );
    const second = await poll(fx, `${match}&last_event_id=${encodeURIComponent(first.cursor!)}`);
    assert.deepEqual(
      second.events.map((e) => e.id),
      [large[1]],
    );
  });
});

describe('poll: wait', () => {
  test('malformed or too long waits are 400 invalid_wait', async () => {
    const fx = await hub({ limits: { maxPollWaitMs: 30_000 } });
    for (const wait of ['abc', '-1', '1e3', '', ' 5', '31', '30.001', '1.2345', '0x10']) {
      const p = await poll(fx, `${match}&last_event_id=earliest&wait=${encodeURIComponent(wait)}`);
      assertProblem({ status: p.status, headers: p.headers, body: p.text }, 'invalid_wait');
    }
    const twice = await poll(fx, `${match}&last_event_id=earliest&wait=1&wait=2`);
    assertProblem({ status: twice.status, headers: twice.headers, body: twice.text }, 'invalid_wait');
    assert.equal((await poll(fx, `${match}&last_event_id=earliest&wait=30`)).status, 200);
  });

  test('a long poll that found nothing is answered by the first matching publish', async () => {
    const fx = await hub();
    const id = (await fx.publish({ topic: TOPIC, data: 'before' })).body;
    const waiting = poll(fx, `${match}&last_event_id=${encodeURIComponent(id)}&wait=25`);
    await until(() => fx.hub.subscriberCount === 1, 'the long poll is registered');
    await fx.publish({ topic: `${TOPIC}/other`, data: 'not for it' });
    const next = (await fx.publish({ topic: TOPIC, data: 'after', type: 'news' })).body;
    const p = await waiting;
    assert.deepEqual([p.events, p.cursor], [[{ id: next, type: 'news', data: 'after' }], next]);
    await until(() => fx.hub.subscriberCount === 0, 'and unregistered');
  });

  test('a waiting long poll is answered at shutdown, and at its wait, with its cursor', async () => {
    const fx = await startHub();
    const id = (await fx.publish({ topic: TOPIC, data: 'before' })).body;
    const short = await poll(fx, `${match}&last_event_id=${encodeURIComponent(id)}&wait=0.2`);
    assert.deepEqual([short.status, short.events, short.cursor], [200, [], id]);
    const waiting = poll(fx, `${match}&last_event_id=${encodeURIComponent(id)}&wait=25`);
    await until(() => fx.hub.subscriberCount === 1, 'the long poll is registered');
    await fx.close();
    const p = await waiting;
    assert.deepEqual([p.status, p.events, p.cursor], [200, [], id]);
  });
});

describe('poll: negotiation and curl', () => {
  test('Accept decides: application/json above text/event-stream; wildcards keep the stream', () => {
    assert.equal(wantsJson('application/json'), true);
    assert.equal(wantsJson('application/json, text/event-stream;q=0.5'), true);
    assert.equal(wantsJson('text/event-stream, application/json'), false);
    assert.equal(wantsJson('text/event-stream;q=0.5, application/json;q=0.5'), false);
    assert.equal(wantsJson('application/json;q=0'), false);
    assert.equal(wantsJson('*/*'), false);
    assert.equal(wantsJson(undefined), false);
    assert.equal(wantsJson('APPLICATION/JSON; q=0.9'), true);
  });

  test('curl polls, long-polls and revalidates', async () => {
    const fx = await hub();
    const run = async (...args: string[]) =>
      (await promisify(execFile)('curl', ['-s', '-i', ...args])).stdout;
    const id = (await fx.publish({ topic: TOPIC, data: 'for curl' })).body;
    const answer = await run('-H', 'Accept: application/json', `${fx.url}?${match}&last_event_id=earliest`);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\nContent-Type: application\/json\r\n/i);
    assert.ok(
      answer.endsWith(`\r\n\r\n{"events":[{"id":"${id}","data":"for curl"}],"last_event_id":"${id}"}`),
      answer,
    );
    const notModified = await run(
      '-H',
      'Accept: application/json',
      '-H',
      `If-None-Match: "${id}"`,
      `${fx.url}?${match}&last_event_id=${encodeURIComponent(id)}&wait=0.1`,
    );
    assert.match(notModified, /^HTTP\/1\.1 304 Not Modified\r\n/);
  });
});
