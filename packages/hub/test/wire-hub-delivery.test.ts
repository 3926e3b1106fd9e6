import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventSourceClient } from './support/event-source-client.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { RawSseReader } from './support/raw-sse-reader.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Published data of every awkward shape, through a real hub over loopback, received by three
 * independent readers at once: the `eventsource` npm client, eventsource-parser over fetch, and
 * the raw bytes over node:http. Data must arrive equal to the input with line ends normalised to
 * LF (WHATWG HTML 9.2.6); id and type exact; the raw frame exactly one `data: ` line per line.
 */

interface Shape {
  readonly name: string;
  /** undefined: the `data` field is not sent at all. */
  readonly data: string | undefined;
  readonly id?: string;
  readonly type?: string;
  readonly retry?: string;
}

const MEGABYTE_UNIT = 'a line with é, 日本 and 😀\r\nCRLF\rCR\n\n  spaced\n:\n';
const MEGABYTE = MEGABYTE_UNIT.repeat(Math.ceil(1_048_576 / Buffer.byteLength(MEGABYTE_UNIT)));

const SHAPES: readonly Shape[] = [
  { name: 'plain', data: 'hello' },
  { name: 'LF', data: 'one\ntwo\nthree' },
  { name: 'CRLF', data: 'one\r\ntwo\r\nthree' },
  { name: 'lone CR', data: 'one\rtwo\rthree' },
  { name: 'mixed line ends', data: 'a\r\nb\nc\rd\n\re\r\r\nf' },
  { name: 'empty lines', data: 'a\n\n\nb\r\n\r\nc\r\rd' },
  { name: 'leading and trailing empty lines', data: '\n\nmiddle\n\n' },
  { name: 'leading and trailing CRLF and CR', data: '\r\n\rmiddle\r\r\n' },
  { name: 'only a line end', data: '\n' },
  { name: 'only CRLF', data: '\r\n' },
  { name: 'only CR', data: '\r' },
  { name: 'leading spaces', data: ' one space\n  two spaces\n\t tab and space' },
  { name: 'a line that is just a colon', data: ':' },
  { name: 'comment-looking lines', data: ':\n: heartbeat\n:x' },
  { name: 'field-looking text', data: 'data: x\nid: 1\nevent: e\nretry: 1\ndata:' },
  { name: 'injection attempt', data: '\nid: x\n\nevent: y' },
  { name: 'injection attempt with CR', data: '\rid: x\r\revent: y\r\rdata: z' },
  { name: 'BMP', data: 'é ü ß Ω 日本語 한국어 עברית' },
  { name: 'astral', data: '😀 𝄞 🏳️‍🌈 👩‍👩‍👧 \u{10FFFF}' },
  { name: 'combining', data: 'e\u0301 a\u0308 n\u0303 \u0915\u094d\u0937' },
  { name: 'Unicode separators that are not line ends', data: 'a\u0085b\u2028c\u2029d\u000be\u000cf' },
  { name: 'BOM at the start', data: '\uFEFFbom' },
  // A BOM (U+FEFF, a format character) is data only: the current Mercure draft refuses format
  // characters in ids and types (400 invalid_id, tested in mercure-draft.test.ts).
  { name: 'BOM-led data', data: '\uFEFF', id: 'bom-id', type: 'bom-type' },
  { name: 'NUL and tab', data: 'nul\u0000tab\t' },
  { name: 'empty string', data: '' },
  { name: 'no data field at all', data: undefined },
  { name: 'publisher id', data: 'x', id: 'urn:example:1' },
  { name: 'id with spaces, colons and Unicode', data: 'x', id: ' lead: ü 😀 #1 ' },
  { name: 'type', data: 'x', type: 'book.updated' },
  { name: 'type with spaces and Unicode', data: 'x', type: ' ünï: cøde ' },
  { name: 'retry', data: 'x', retry: '12345' },
  { name: 'everything', data: 'a\r\nb', id: 'all-fields', type: 'full', retry: '0' },
  { name: '1 MB', data: MEGABYTE },
];

const TOPIC = 'https://example.com/wire';

/** The exact frame: event, retry, id, then one `data: ` line per line of the data, then a blank line. */
function oracleFrame(shape: Shape, id: string): string {
  let out = '';
  if (shape.type !== undefined) out += `event: ${shape.type}\n`;
  if (shape.retry !== undefined) out += `retry: ${shape.retry}\n`;
  out += `id: ${id}\n`;
  for (const line of (shape.data ?? '').split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

const normalise = (s: string): string => s.replace(/\r\n|\r/g, '\n');

describe('awkward data through a real hub', () => {
  let fx: HubFixture;
  let es: EventSourceClient;
  let parsed: SseReader;
  let raw: RawSseReader;
  const ids: string[] = [];

  before(async () => {
    fx = await startHub();
    const url = `${fx.url}?match=${encodeURIComponent(TOPIC)}`;
    const types = ['message', ...SHAPES.flatMap((s) => (s.type === undefined ? [] : [s.type]))];
    es = new EventSourceClient(url, types);
    parsed = await SseReader.open(url);
    raw = await RawSseReader.open(url);
    await es.opened();
    for (const shape of SHAPES) {
      const fields: Record<string, string> = { topic: TOPIC };
      if (shape.data !== undefined) fields['data'] = shape.data;
      if (shape.id !== undefined) fields['id'] = shape.id;
      if (shape.type !== undefined) fields['type'] = shape.type;
      if (shape.retry !== undefined) fields['retry'] = shape.retry;
      const res = await fx.publish(fields);
      assert.equal(res.status, 200, `${shape.name}: ${res.body}`);
      ids.push(res.body);
    }
    await Promise.all([es.waitFor(SHAPES.length), parsed.waitFor(SHAPES.length)]);
  });

  after(async () => {
    es.close();
    parsed.close();
    raw.close();
    await fx.close();
  });

  test('the publisher gets back the id it chose, or a generated one', () => {
    SHAPES.forEach((shape, i) => {
      if (shape.id !== undefined) assert.equal(ids[i], shape.id, shape.name);
      else assert.match(ids[i]!, /^urn:uuid:[0-9a-f-]{36}$/, shape.name);
    });
  });

  test('the eventsource client gets every update: data LF-normalised, id and type exact', () => {
    assert.equal(es.events.length, SHAPES.length);
    SHAPES.forEach((shape, i) => {
      const e = es.events[i]!;
      assert.equal(e.data, normalise(shape.data ?? ''), shape.name);
      assert.equal(e.lastEventId, ids[i], shape.name);
      assert.equal(e.type, shape.type ?? 'message', shape.name);
    });
  });

  test('eventsource-parser gets every update: data LF-normalised, id and type exact, retry', () => {
    assert.equal(parsed.events.length, SHAPES.length);
    SHAPES.forEach((shape, i) => {
      const e = parsed.events[i]!;
      assert.equal(e.data, normalise(shape.data ?? ''), shape.name);
      assert.equal(e.id, ids[i], shape.name);
      assert.equal(e.event, shape.type, shape.name);
    });
    // The stream's own retry first, then each published one, in order.
    assert.deepEqual(
      parsed.retries.slice(1),
      SHAPES.flatMap((s) => (s.retry === undefined ? [] : [Number(s.retry)])),
    );
    assert.deepEqual(parsed.comments, []);
  });

  test('the raw bytes are the retry preamble then exactly one frame per update', async () => {
    const want = SHAPES.map((s, i) => oracleFrame(s, ids[i]!)).join('');
    const preamble = /^retry: \d+\n\n/;
    const bytes = await raw.waitUntil((b) => b.length >= Buffer.byteLength(want));
    const text = bytes.toString('utf8');
    const m = preamble.exec(text);
    assert.ok(m, `no retry preamble: ${JSON.stringify(text.slice(0, 40))}`);
    const body = text.slice(m[0].length);
    // Compare frame by frame first for a readable failure, then the whole stream byte for byte.
    let at = 0;
    SHAPES.forEach((s, i) => {
      const frame = oracleFrame(s, ids[i]!);
      const got = body.slice(at, at + frame.length);
      if (s.name !== '1 MB') assert.equal(got, frame, s.name);
      else assert.ok(got === frame, '1 MB frame differs');
      at += frame.length;
    });
    assert.equal(Buffer.byteLength(body), Buffer.byteLength(want));
    assert.ok(
      Buffer.from(body, 'utf8').equals(Buffer.from(want, 'utf8')),
      'the body is byte-for-byte the expected one',
    );
  });
});
