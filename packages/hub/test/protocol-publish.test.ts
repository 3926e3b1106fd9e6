import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { RawSseReader } from './support/raw-sse-reader.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Mercure "Publication" and "Reconciliation" (every event has an id), current dialect, as
 * reference/mercure.md lists them: a form POST answered 200 text/plain with the event id; the
 * hub generates a urn:uuid id when none is given; every rejected publish is a 400 with a
 * stable code and is never dispatched.
 */

const TOPIC = 'https://example.com/books/1';
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let fx: HubFixture;
let everything: SseReader;
let sentinels = 0;
/** Index in `everything.events` just after the last sentinel. */
let mark = 0;

before(async () => {
  fx = await startHub();
  everything = await SseReader.open(`${fx.url}?match=*`);
});

after(async () => {
  everything.close();
  await fx.close();
});

/**
 * Publishes a public sentinel and returns what `match=*` received since the previous sentinel
 * (sentinels excluded): once the sentinel is in, nothing published before it is still on its way.
 */
async function received(): Promise<{ id?: string | undefined; data: string }[]> {
  const id = `sentinel-${++sentinels}`;
  assert.equal((await fx.publish({ topic: 'https://example.com/sentinel', id })).status, 200);
  const before = await everything.waitForId(id);
  const since = before.slice(mark);
  mark = before.length + 1;
  return since.map((e) => ({ id: e.id, data: e.data }));
}

// Each test starts after a sentinel, so it sees only its own updates.
beforeEach(async () => {
  await received();
});

describe('a successful publish', () => {
  test('answers 200 text/plain whose body is the id the publisher chose', async () => {
    for (const id of [
      'urn:example:1',
      'https://example.com/events/1',
      'a#fragment-inside',
      'earliest-not',
      ' spaced ',
    ]) {
      const res = await fx.publish({ topic: TOPIC, data: 'x', id });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/plain');
      assert.equal(res.body, id);
    }
  });

  test('without an id, the hub generates a distinct urn:uuid for each update', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fx.publish({ topic: TOPIC, data: `n${i}` });
      assert.equal(res.status, 200);
      assert.match(res.body, UUID);
      ids.add(res.body);
    }
    assert.equal(ids.size, 20);
    // An empty id field is no id.
    assert.match((await fx.publish({ topic: TOPIC, id: '' })).body, UUID);
  });

  test('every dispatched event carries the id the publish answered', async () => {
    const raw = await RawSseReader.open(`${fx.url}?match=*`);
    try {
      const answered: string[] = [];
      const publishes: Record<string, string | string[]>[] = [
        { topic: TOPIC },
        { topic: TOPIC, data: 'd' },
        { topic: TOPIC, data: 'd', id: 'chosen' },
        { topic: TOPIC, data: 'd', type: 'typed' },
        { topic: [TOPIC, 'https://example.com/alternate'], data: 'two topics' },
      ];
      for (const fields of publishes) {
        const res = await fx.publish(fields);
        assert.equal(res.status, 200);
        answered.push(res.body);
      }
      const got = await received();
      assert.deepEqual(
        got.map((e) => e.id),
        answered,
      );
      // On the wire: every event block has exactly one id line.
      const text = (await raw.waitUntil((b) => b.includes(`id: sentinel-${sentinels}\n`))).toString('utf8');
      const blocks = text.split('\n\n').filter((b) => b.includes('data: '));
      assert.equal(blocks.length, answered.length + 1);
      for (const b of blocks) assert.equal(b.split('\n').filter((l) => l.startsWith('id: ')).length, 1, b);
    } finally {
      raw.close();
    }
  });

  test('topic is repeatable; a publish with several topics is one event, with one id', async () => {
    const res = await fx.publish({
      topic: [TOPIC, 'https://example.com/b', 'urn:c'],
      data: 'once',
      id: 'multi',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await received(), [{ id: 'multi', data: 'once' }]);
  });

  test('values that look like the forbidden ones but are legal are accepted', async () => {
    const legal: Record<string, string>[] = [
      { topic: TOPIC, id: 'a#b' },
      { topic: TOPIC, id: 'Earliest' },
      { topic: TOPIC, id: 'earliest ' },
      { topic: TOPIC, type: 'Mercure' },
      { topic: TOPIC, type: 'mercure.update' },
      { topic: TOPIC, retry: '0' },
      { topic: TOPIC, retry: '007' },
      { topic: '/.well-known/mercurex' },
      { topic: '/.well-known/mercure-like/x' },
      { topic: 'https://example.com/a/.well-known/mercure' },
      { topic: '**' },
      { topic: 'not a URL at all, é 😀' },
    ];
    const ids: string[] = [];
    for (const fields of legal) {
      const res = await fx.publish(fields);
      assert.equal(res.status, 200, `${JSON.stringify(fields)}: ${res.body}`);
      ids.push(res.body);
    }
    assert.deepEqual(
      (await received()).map((e) => e.id),
      ids,
    );
  });

  test('private, whatever its value (even empty or "false"), is private: not sent to anonymous subscribers', async () => {
    for (const value of ['on', '', 'false', 'off', '0']) {
      const res = await fx.publish(`topic=${encodeURIComponent(TOPIC)}&data=secret&private=${value}`);
      assert.equal(res.status, 200);
    }
    assert.equal((await fx.publish(`topic=${encodeURIComponent(TOPIC)}&data=secret&private`)).status, 200);
    assert.deepEqual(await received(), []);
  });
});

describe('a rejected publish: 400 with a stable code, never dispatched', () => {
  const cases: [string, Record<string, string | string[]> | string, string][] = [
    ['no topic', { data: 'x' }, 'missing_topic'],
    ['an empty body', '', 'missing_topic'],
    ['an empty topic', { topic: '' }, 'invalid_topic'],
    ['topic *', { topic: '*' }, 'wildcard_topic'],
    ['topic * among others', { topic: [TOPIC, '*'] }, 'wildcard_topic'],
    ['the reserved namespace itself', { topic: '/.well-known/mercure' }, 'reserved_topic'],
    [
      'a relative topic under it',
      { topic: '/.well-known/mercure/subscriptions/Exact/a/b' },
      'reserved_topic',
    ],
    ['a dot-segment way into it', { topic: '/x/../.well-known/mercure/subscriptions' }, 'reserved_topic'],
    [
      'an absolute topic under it, any host',
      { topic: 'https://other.example/.well-known/mercure/x' },
      'reserved_topic',
    ],
    ['a percent-encoded way into it', { topic: '/.well-known/%6D%65rcure/x' }, 'reserved_topic'],
    [
      'a reserved alternate topic',
      { topic: [TOPIC, '/.well-known/mercure/subscriptions'] },
      'reserved_topic',
    ],
    ['a C0 control in a topic', { topic: 'https://example.com/a\u0001b' }, 'invalid_topic'],
    ['a C1 control in a topic', { topic: 'https://example.com/a\u0085b' }, 'invalid_topic'],
    ['DEL in a topic', { topic: 'https://example.com/a\u007fb' }, 'invalid_topic'],
    ['LF in a topic', { topic: 'https://example.com/a\nb' }, 'invalid_topic'],
    ['type=mercure', { topic: TOPIC, type: 'mercure' }, 'invalid_type'],
    ['id earliest', { topic: TOPIC, id: 'earliest' }, 'invalid_id'],
    ['id starting with #', { topic: TOPIC, id: '#42' }, 'invalid_id'],
    ['id #', { topic: TOPIC, id: '#' }, 'invalid_id'],
    ['id with LF', { topic: TOPIC, id: 'a\nid: b' }, 'invalid_id'],
    ['id with CR', { topic: TOPIC, id: 'a\rb' }, 'invalid_id'],
    ['id with CRLF', { topic: TOPIC, id: 'a\r\n' }, 'invalid_id'],
    ['id with NUL', { topic: TOPIC, id: 'a\u0000b' }, 'invalid_id'],
    ['type with LF', { topic: TOPIC, type: 'a\n\ndata: x' }, 'invalid_type'],
    ['type with CR', { topic: TOPIC, type: 'a\rb' }, 'invalid_type'],
    ['type with NUL', { topic: TOPIC, type: '\u0000' }, 'invalid_type'],
    ['retry negative', { topic: TOPIC, retry: '-1' }, 'invalid_retry'],
    ['retry decimal', { topic: TOPIC, retry: '1.5' }, 'invalid_retry'],
    ['retry exponent', { topic: TOPIC, retry: '1e3' }, 'invalid_retry'],
    ['retry with a sign', { topic: TOPIC, retry: '+5' }, 'invalid_retry'],
    ['retry with a space', { topic: TOPIC, retry: ' 5' }, 'invalid_retry'],
    ['retry in letters', { topic: TOPIC, retry: 'soon' }, 'invalid_retry'],
    ['retry in non-ASCII digits', { topic: TOPIC, retry: '٣' }, 'invalid_retry'],
    ['data that is not UTF-8', `topic=${encodeURIComponent(TOPIC)}&data=%FF%FE`, 'invalid_form'],
  ];

  for (const [name, fields, code] of cases) {
    test(name, async () => {
      const res = await fx.publish(fields);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal((JSON.parse(res.body) as { code: string }).code, code);
      assert.deepEqual(await received(), []);
    });
  }

  test('a body that is not a form: 415, never dispatched', async () => {
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await fx.publish(`topic=${encodeURIComponent(TOPIC)}&data=x`, { 'Content-Type': type });
      assert.equal(res.status, 415, type);
    }
    assert.deepEqual(await received(), []);
  });
});
