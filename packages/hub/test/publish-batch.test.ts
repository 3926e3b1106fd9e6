import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { answerOf, assertProblem } from './support/expect-problem.js';
import { formBody, type HubFixture, startHub } from './support/hub-fixture.js';
import { publisherToken, SIGNED_HUB } from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Batch publish (docs/mercure.md, "Batch publish"): one form body per line, validated all or
 * nothing with the single publish's codes, stored and acknowledged per update, in body order.
 */

const BATCH = 'application/vnd.tidings.batch';
const TOPIC = 'https://hub.example/prices/acme';
const SENTINEL = 'https://hub.example/sentinel';

let fx: HubFixture;
let reader: SseReader;
let token: string;
let sentinels = 0;

before(async () => {
  fx = await startHub({ ...SIGNED_HUB, limits: { maxBatchUpdates: 4 } });
  reader = await SseReader.open(`${fx.url}?match=*`);
  token = await publisherToken(['*']);
});

after(async () => {
  reader.close();
  await fx.close();
});

function batch(lines: string[], auth = token): Promise<Response> {
  return fetch(fx.url, {
    method: 'POST',
    headers: { 'Content-Type': BATCH, Authorization: `Bearer ${auth}` },
    body: lines.join('\n'),
  });
}

/** Events delivered since the previous call: a sentinel published after proves nothing is still on its way. */
let mark = 0;
async function delivered(): Promise<{ id?: string | undefined; data: string }[]> {
  const id = `sentinel-${++sentinels}`;
  const res = await fx.publish({ topic: SENTINEL, id }, { Authorization: `Bearer ${token}` });
  assert.equal(res.status, 200, `sentinel published: ${res.body}`);
  const events = await reader.waitForId(id);
  const since = events.slice(mark);
  mark = events.length + 1;
  return since.map((e) => ({ id: e.id, data: e.data }));
}

describe('a valid batch', () => {
  it('stores every update and answers each id in body order; subscribers get them in that order', async () => {
    await delivered();
    const res = await batch([
      formBody({ topic: TOPIC, data: '101.5', id: 'p1' }),
      formBody({ topic: TOPIC, data: '101.7' }),
      '',
      `${formBody({ topic: TOPIC, data: 'line\nbreak', id: 'p3' })}\r`,
    ]);
    assert.equal(res.status, 200, 'all stored');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { updates: { id: string; error?: unknown }[] };
    assert.equal(body.updates.length, 3, 'the empty line is skipped');
    assert.equal(body.updates[0]!.id, 'p1', 'publisher id kept');
    assert.match(body.updates[1]!.id, /^urn:uuid:/, 'generated id');
    assert.equal(body.updates[2]!.id, 'p3', 'CRLF line end accepted');
    assert.ok(
      body.updates.every((u) => u.error === undefined),
      'no error on stored updates',
    );
    const got = await delivered();
    assert.deepEqual(
      got,
      [
        { id: 'p1', data: '101.5' },
        { id: body.updates[1]!.id, data: '101.7' },
        { id: 'p3', data: 'line\nbreak' },
      ],
      'delivered in body order, data byte-exact',
    );
  });

  it('is accepted from curl too, with the same answer shape', async () => {
    // Not spawnSync: the hub runs in this process and must keep serving while curl waits.
    const r = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '-H',
        `Content-Type: ${BATCH}`,
        '-H',
        `Authorization: Bearer ${token}`,
        '--data-binary',
        `${formBody({ topic: TOPIC, data: 'c1', id: 'curl-1' })}\n${formBody({ topic: TOPIC, data: 'c2', id: 'curl-2' })}\n`,
        fx.url,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    assert.deepEqual(JSON.parse(r.stdout), { updates: [{ id: 'curl-1' }, { id: 'curl-2' }] }, r.stdout);
  });

  it('re-identifies a reused id as a single publish does: 200, both stored', async () => {
    await delivered();
    const res = await batch([
      formBody({ topic: TOPIC, data: 'again', id: 'p1' }),
      formBody({ topic: TOPIC, data: 'fresh', id: 'p4' }),
    ]);
    assert.equal(res.status, 200, 'every update was stored');
    const body = (await res.json()) as {
      updates: { id: string; error?: { code: string; status: number } }[];
    };
    const renamed = body.updates[0]!.id;
    assert.match(renamed, /^urn:uuid:/, 'the reused id is replaced by a hub id');
    assert.equal(body.updates[0]!.error, undefined, 'the reused id is not refused');
    assert.deepEqual(body.updates[1], { id: 'p4' }, 'the other one keeps its id');
    const got = (await delivered()).sort((x, y) => x.data.localeCompare(y.data));
    assert.deepEqual(
      got,
      [
        { id: renamed, data: 'again' },
        { id: 'p4', data: 'fresh' },
      ],
      'both are delivered, the first under the hub id',
    );
  });
});

describe('a refused batch stores nothing', () => {
  const cases: [string, string[], Parameters<typeof assertProblem>[1], RegExp][] = [
    [
      'a bad line',
      [formBody({ topic: TOPIC, data: 'ok' }), formBody({ topic: TOPIC, id: 'earliest' })],
      'invalid_id',
      /line 2/,
    ],
    ['a line without topic', [formBody({ topic: TOPIC }), 'data=x'], 'missing_topic', /line 2/],
    ['no update at all', ['', '\r', ''], 'empty_batch', /./],
    [
      'more updates than maxBatchUpdates',
      Array.from({ length: 5 }, (_, i) => formBody({ topic: TOPIC, data: String(i) })),
      'too_many_updates',
      /at most 4/,
    ],
    ['invalid UTF-8', [formBody({ topic: TOPIC }), 'topic=x&data=%FF'], 'invalid_form', /line 2/],
  ];
  for (const [what, lines, code, detail] of cases) {
    it(`${what}: ${code}`, async () => {
      await delivered();
      const answer = await answerOf(await batch(lines));
      assertProblem(answer, code);
      assert.match(
        JSON.parse(answer.body).detail as string,
        detail,
        'the detail names the line or the limit',
      );
      assert.deepEqual(await delivered(), [], 'nothing was delivered');
    });
  }

  it('a token that does not grant every topic: 403 insufficient_scope, nothing stored', async () => {
    await delivered();
    const narrow = await publisherToken([TOPIC]);
    const answer = await answerOf(
      await batch([formBody({ topic: TOPIC, data: 'a' }), formBody({ topic: SENTINEL, data: 'b' })], narrow),
    );
    assertProblem(answer, 'insufficient_scope', { challenge: 'insufficient_scope' });
    assert.deepEqual(await delivered(), [], 'nothing was delivered');
  });

  it('no token: 401 missing_token', async () => {
    const res = await fetch(fx.url, { method: 'POST', headers: { 'Content-Type': BATCH }, body: 'topic=a' });
    assertProblem(await answerOf(res), 'missing_token', { challenge: 'none' });
  });
});
