import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answerOf, assertProblem } from './support/expect-problem.js';
import { formBody, type HubFixture, startHub } from './support/hub-fixture.js';
import { metric, waitForMetric } from './support/read-metrics.js';
import { publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Maximum rate with conflation (docs/mercure.md "Maximum rate", broker/conflation.ts): a
 * subscriber asking `maxRate=R` gets at most R events per second (plus one), each topic's latest
 * value, its stream a subsequence of history in history order, so a resume never yields an older
 * value after a newer one. Timing is only ever checked one-sided (a slow machine sends fewer).
 */

const BATCH = 'application/vnd.tidings.batch';
const A = 'https://example.com/prices/a';
const B = 'https://example.com/prices/b';
const C = 'https://example.com/chat/c';

let fx: HubFixture;

before(async () => {
  fx = await startHub({ conflate: { topics: ['https://example.com/prices/*'], maxRate: 4 } });
});

after(() => fx.close());

/** Publishes `n` rounds of A then B in one batch (data: topic letter and round), ids `<prefix>-<i>`. */
async function publishRounds(prefix: string, from: number, n: number): Promise<string[]> {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    lines.push(formBody({ topic: A, data: `a${i}`, id: `${prefix}-a${i}` }));
    lines.push(formBody({ topic: B, data: `b${i}`, id: `${prefix}-b${i}` }));
  }
  const res = await fetch(fx.url, {
    method: 'POST',
    headers: { 'Content-Type': BATCH },
    body: lines.join('\n'),
  });
  assert.equal(res.status, 200, `batch stored: ${await res.clone().text()}`);
  return ((await res.json()) as { updates: { id: string }[] }).updates.map((u) => u.id);
}

/** Per topic, the round numbers received must strictly increase (never an older value after a newer one). */
function assertNewerOnly(data: string[], what: string): void {
  const lastRound = new Map<string, number>();
  for (const d of data) {
    const topic = d[0]!;
    const round = Number(d.slice(1));
    const prev = lastRound.get(topic) ?? -1;
    assert.ok(round > prev, `${what}: ${d} after round ${prev} of ${topic} (${data.join(' ')})`);
    lastRound.set(topic, round);
  }
}

async function waitForData(reader: SseReader, data: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!reader.events.some((e) => e.data === data)) {
    assert.ok(
      Date.now() < deadline,
      `no ${data} within ${timeoutMs} ms: ${reader.events.map((e) => e.data)}`,
    );
    // A timeout here rejects, and fails the test with what the reader got.
    await reader.waitFor(reader.events.length + 1, deadline - Date.now());
  }
}

describe('maxRate', () => {
  it('sends at most R events per second, the latest per topic, in history order', async () => {
    const reader = await SseReader.open(
      `${fx.url}?match=${encodeURIComponent(A)}&match=${encodeURIComponent(B)}&maxRate=10`,
    );
    // The window the hub could have written in: from before the first publish to the last
    // arrival. Arrival times alone are not it: a stalled client reads events sent apart together.
    const started = performance.now();
    await publishRounds('r1', 0, 200);
    await publishRounds('r1', 200, 200);
    await waitForData(reader, 'a399');
    await waitForData(reader, 'b399');
    const spanS = (performance.now() - started) / 1000;
    const data = reader.events.map((e) => e.data);
    reader.close();
    assert.ok(data.length < 40, `conflated: ${data.length} events for 800 updates`);
    assertNewerOnly(data, 'live');
    assert.ok(
      data.length <= Math.floor(spanS * 10) + 2,
      `${data.length} events in ${spanS.toFixed(2)} s is above 10/s plus one`,
    );
  });

  it('a resume gets only newer values than it has, the latest per topic', async () => {
    const q = `match=${encodeURIComponent(A)}&match=${encodeURIComponent(B)}&maxRate=5`;
    const first = await SseReader.open(`${fx.url}?${q}`);
    await publishRounds('r2', 0, 50);
    await first.waitFor(2);
    first.close();
    const had = first.events.map((e) => e.data);
    const lastId = first.events.at(-1)!.id!;
    await publishRounds('r2', 50, 50);
    const resumed = await SseReader.open(`${fx.url}?${q}`, { 'Last-Event-ID': lastId });
    await waitForData(resumed, 'a99');
    await waitForData(resumed, 'b99');
    const got = resumed.events.map((e) => e.data);
    resumed.close();
    assertNewerOnly([...had, ...got], 'across the resume');
    assert.ok(got.length <= 4, `the replay is conflated to the latest per topic: ${got.join(' ')}`);
  });

  it('streams of one rate and selectors share one conflation; a later one gets nothing older than its start', async () => {
    const base = new URL(fx.url).origin;
    const before = await metric(base, 'tidings_shared_conflations');
    const q = `match=${encodeURIComponent(A)}&match=${encodeURIComponent(B)}&maxRate=20`;
    const early = [await SseReader.open(`${fx.url}?${q}`), await SseReader.open(`${fx.url}?${q}`)];
    // Another rate is another conflation.
    const other = await SseReader.open(`${fx.url}?${q.replace('maxRate=20', 'maxRate=19')}`);
    assert.equal(await metric(base, 'tidings_shared_conflations'), before + 2, 'two rates, two conflations');
    await publishRounds('r4', 0, 100);
    const late = await SseReader.open(`${fx.url}?${q}`);
    assert.equal(
      await metric(base, 'tidings_shared_conflations'),
      before + 2,
      'the late one joins the first',
    );
    await publishRounds('r4', 100, 100);
    for (const r of [...early, other, late]) {
      await waitForData(r, 'a199');
      await waitForData(r, 'b199');
    }
    for (const [i, r] of early.entries())
      assertNewerOnly(
        r.events.map((e) => e.data),
        `early ${i}`,
      );
    const lateData = late.events.map((e) => e.data);
    assertNewerOnly(lateData, 'late');
    assert.ok(
      lateData.every((d) => Number(d.slice(1)) >= 100),
      `the late stream got values published before it opened: ${lateData.join(' ')}`,
    );
    for (const r of [...early, other, late]) r.close();
    await waitForMetric(base, 'tidings_shared_conflations', '', (v) => v === before);
  });

  it('refuses bad values with 400 invalid_max_rate', async () => {
    for (const bad of ['0', '-1', 'abc', '1e3', '2000', '', '0.01', '5&maxRate=6', ' 5', 'Infinity']) {
      const res = await fetch(`${fx.url}?match=${encodeURIComponent(A)}&maxRate=${bad}`);
      const answer = await answerOf(res);
      assertProblem(answer, 'invalid_max_rate');
    }
  });
});

describe('topics conflated for everyone (HubOptions.conflate)', () => {
  it('a subscriber that asked for no rate is conflated on those topics; others flow in full', async () => {
    const chat = await SseReader.open(`${fx.url}?match=${encodeURIComponent(C)}`);
    const prices = await SseReader.open(`${fx.url}?match=${encodeURIComponent(A)}`);
    const lines = Array.from({ length: 100 }, (_, i) => formBody({ topic: C, data: `c${i}` }));
    const res = await fetch(fx.url, {
      method: 'POST',
      headers: { 'Content-Type': BATCH },
      body: lines.join('\n'),
    });
    assert.equal(res.status, 200, 'chat stored');
    await publishRounds('r3', 0, 100);
    await chat.waitFor(100);
    await waitForData(prices, 'a99');
    assert.deepEqual(
      chat.events.map((e) => e.data),
      lines.map((_, i) => `c${i}`),
      'a topic that is not conflated is delivered in full',
    );
    assert.ok(prices.events.length < 10, `conflated at 4/s: ${prices.events.map((e) => e.data)}`);
    assertNewerOnly(
      prices.events.map((e) => e.data),
      'conflated for everyone',
    );
    chat.close();
    prices.close();
  });
});

describe('the tidings_max_rate token claim caps the rate', () => {
  let signed: HubFixture;
  before(async () => {
    signed = await startHub({ ...SIGNED_HUB });
  });
  after(() => signed.close());

  it('a stream of a capped token gets at most the cap, whatever maxRate it asks for', async () => {
    const token = await subscriberToken(['*'], { claims: { tidings_max_rate: 5 } });
    const open = (query: string) =>
      SseReader.open(`${signed.url}?match=${encodeURIComponent(C)}${query}`, {
        Authorization: `Bearer ${token}`,
      });
    const readers = [await open(''), await open('&maxRate=1000')];
    const publisher = { Authorization: `Bearer ${await publisherToken()}` };
    const started = performance.now();
    // 20 batches of 10, paced 100 ms apart: an uncapped stream (even at maxRate=1000) gets at
    // least one event per batch, 20 in about 2 s; at 5/s it gets about 10.
    for (let b = 0; b < 20; b++) {
      const lines = Array.from({ length: 10 }, (_, i) => formBody({ topic: C, data: `c${b * 10 + i}` }));
      const res = await fetch(signed.url, {
        method: 'POST',
        headers: { 'Content-Type': BATCH, ...publisher },
        body: lines.join('\n'),
      });
      assert.equal(res.status, 200, `batch stored: ${await res.clone().text()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const reader of readers) await waitForData(reader, 'c199');
    const spanS = (performance.now() - started) / 1000;
    for (const [n, reader] of readers.entries()) {
      const data = reader.events.map((e) => e.data);
      reader.close();
      assertNewerOnly(data, `capped ${n}`);
      assert.ok(
        data.length <= Math.floor(spanS * 5) + 2,
        `reader ${n}: ${data.length} events in ${spanS.toFixed(2)} s is above the token's 5/s plus one`,
      );
    }
  });

  it('streams of one rate and selectors but other read rights do not share private updates', async () => {
    const D = 'https://example.com/prices/d';
    const query = `match=${encodeURIComponent(C)}&match=${encodeURIComponent(D)}&maxRate=10`;
    const open = async (topics: string[]) =>
      SseReader.open(`${signed.url}?${query}`, {
        Authorization: `Bearer ${await subscriberToken(topics)}`,
      });
    const allowed = await open([C]);
    const denied = await open(['https://example.com/elsewhere']);
    const publisher = { Authorization: `Bearer ${await publisherToken()}` };
    const post = async (fields: Record<string, string>) => {
      const res = await fetch(signed.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...publisher },
        body: formBody(fields),
      });
      assert.equal(res.status, 200, `stored: ${await res.clone().text()}`);
    };
    await post({ topic: C, data: 'secret', private: 'on' });
    await post({ topic: D, data: 'sentinel' });
    await waitForData(allowed, 'sentinel');
    await waitForData(denied, 'sentinel');
    assert.deepEqual(
      allowed.events.map((e) => e.data),
      ['secret', 'sentinel'],
      'the granted stream gets the private update',
    );
    assert.deepEqual(
      denied.events.map((e) => e.data),
      ['sentinel'],
      'the other stream, same rate and selectors, does not',
    );
    allowed.close();
    denied.close();
  });

  it('a claim that is not a rate the hub serves invalidates the token', async () => {
    for (const bad of [0, 2000, '5', null]) {
      const token = await subscriberToken(['*'], { claims: { tidings_max_rate: bad } });
      const res = await fetch(`${signed.url}?match=${encodeURIComponent(C)}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assertProblem(await answerOf(res), 'invalid_token', { challenge: 'invalid_token' });
    }
  });
});
