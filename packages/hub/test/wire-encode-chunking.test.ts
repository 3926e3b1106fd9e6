import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { type EventFields, encodeComment, encodeEvent, encodeRetry } from '../src/stream/encode-event.js';

/**
 * encodeEvent against an independent parser (eventsource-parser), under every way TCP may cut
 * the stream: at every byte, byte by byte, and at random (fast-check). Bytes are decoded with a
 * streaming TextDecoder, as a client does, so cuts inside multi-byte UTF-8 are exercised too.
 * What must come out (WHATWG HTML 9.2.6): data equal to the input with CRLF / lone CR turned into
 * LF, id and type exact, retry exact, comments ignored.
 */

interface Parsed {
  events: EventSourceMessage[];
  retries: number[];
  comments: string[];
}

const normalise = (s: string): string => s.replace(/\r\n|\r/g, '\n');

/** Feeds `chunks` through a streaming TextDecoder into a fresh parser. */
function parse(chunks: readonly Uint8Array[]): Parsed {
  const out: Parsed = { events: [], retries: [], comments: [] };
  const parser = createParser({
    onEvent: (e) => out.events.push({ id: e.id, event: e.event, data: e.data }),
    onRetry: (r) => out.retries.push(r),
    onComment: (c) => out.comments.push(c),
    onError: (err) => assert.fail(`parser error: ${err.message}`),
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const c of chunks) parser.feed(decoder.decode(c, { stream: true }));
  parser.feed(decoder.decode());
  return out;
}

/** What a conforming parser must report for these fields. */
function expected(fields: readonly EventFields[], preambleRetry: number, heartbeats: number): Parsed {
  return {
    events: fields.map((f) => ({
      id: f.id,
      event: f.type === undefined || f.type === '' ? undefined : f.type,
      data: normalise(f.data),
    })),
    retries: [preambleRetry, ...fields.flatMap((f) => (f.retry === undefined ? [] : [Math.trunc(f.retry)]))],
    comments: Array.from({ length: heartbeats }, () => ''),
  };
}

/** A stream as the hub writes it: the retry preamble, then each frame followed by a heartbeat comment. */
function stream(fields: readonly EventFields[], preambleRetry: number): Buffer {
  const parts: Buffer[] = [encodeRetry(preambleRetry)];
  for (const f of fields) parts.push(encodeEvent(f), encodeComment());
  return Buffer.concat(parts);
}

function cutAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...new Set(cuts)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of sorted) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Every awkward shape of data, and ids and types that are legal but unusual. */
const VECTORS: readonly EventFields[] = [
  { data: 'plain', id: 'urn:uuid:6f1c8a52-25d4-4b7a-9d0e-0c1f2a3b4c5d' },
  { data: '' },
  { data: 'lf\nline', id: '1' },
  { data: 'crlf\r\nline', id: '2' },
  { data: 'lone\rcr', id: '3' },
  { data: 'mixed\r\n\r\nends\n\rhere\r\rand\n\nthere', id: '4' },
  { data: '\n' },
  { data: '\r\n' },
  { data: '\r' },
  { data: '\n\nleading and trailing empty lines\n\n' },
  { data: '\r\n\r\nleading and trailing CRLF lines\r\n\r\n' },
  { data: ' leading space' },
  { data: '  two leading spaces\n   three on the next' },
  { data: ':' },
  { data: ':\n:comment-looking\n: spaced' },
  { data: 'data: looks like a field\ndata:\nid: nope\nevent: nope\nretry: 1' },
  { data: '\nid: x\n\nevent: y' },
  { data: '\r\nid: x\r\n\r\nevent: y\r\n\r\n' },
  { data: 'BMP: é ü ß 日本語 Ωμέγα' },
  { data: 'astral: 😀 𝄞 🏳️‍🌈 \u{10FFFF}' },
  { data: 'combining: e\u0301 a\u0308 n\u0303' },
  { data: 'not line breaks: \u0085 \u2028 \u2029 \u000b \u000c' },
  { data: '\uFEFFa BOM at the start of data' },
  { data: 'tab\there and NUL \u0000 inside' },
  { data: 'typed', type: 'update', id: 'with spaces inside' },
  { data: 'field-looking id and type', id: ' spaced: id', type: ' spaced: type' },
  { data: 'unicode id and type', id: 'ü:😀#1', type: 'ünï:cøde' },
  { data: 'empty type is message', type: '' },
  { data: 'empty id resets', id: '' },
  { data: 'with retry', retry: 0 },
  { data: 'with retry', retry: 1500, id: 'r', type: 't' },
];

const PREAMBLE_RETRY = 2345;

describe('encodeEvent read by eventsource-parser at every chunking', () => {
  const fields = VECTORS;
  const bytes = stream(fields, PREAMBLE_RETRY);
  const want = expected(fields, PREAMBLE_RETRY, fields.length);

  test('the vectors contain multi-byte UTF-8 (cut points inside a code point exist)', () => {
    let inside = 0;
    for (const b of bytes) if ((b & 0xc0) === 0x80) inside++;
    assert.ok(inside > 40, `only ${inside} continuation bytes`);
  });

  test('no CR ever reaches the wire: every line ends with LF, every event with one blank line', () => {
    for (const f of fields) {
      const frame = encodeEvent(f).toString('utf8');
      assert.equal(frame.includes('\r'), false, JSON.stringify(f));
      assert.ok(frame.endsWith('\n\n'), JSON.stringify(f));
      assert.equal(frame.slice(0, -1).includes('\n\n'), false, `blank line inside ${JSON.stringify(f)}`);
    }
  });

  test('in one chunk', () => {
    assert.deepEqual(parse([bytes]), want);
  });

  test('cut once at every byte offset', () => {
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(parse(cutAt(bytes, [i])), want, `cut at ${i}`);
    }
  });

  test('cut twice at every pair of offsets within each frame', () => {
    for (const f of fields) {
      const one = stream([f], PREAMBLE_RETRY);
      const wantOne = expected([f], PREAMBLE_RETRY, 1);
      for (let i = 0; i <= one.length; i++) {
        for (let j = i; j <= one.length; j++) {
          assert.deepEqual(parse(cutAt(one, [i, j])), wantOne, `${JSON.stringify(f)} cut at ${i},${j}`);
        }
      }
    }
  });

  test('byte by byte', () => {
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    assert.deepEqual(parse(chunks), want);
  });

  test('random chunkings (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 64 }), (cuts) => {
        assert.deepEqual(parse(cutAt(bytes, cuts)), want);
      }),
      { numRuns: 500 },
    );
  });

  test('1 MB of data with every line ending, cut at random', () => {
    const unit = 'line é 😀\r\nnext\rthird\n\n';
    const data = unit.repeat(Math.ceil(1_048_576 / Buffer.byteLength(unit)));
    const f: EventFields = { data, id: 'big' };
    const big = stream([f], PREAMBLE_RETRY);
    assert.ok(big.length > 1_048_576, `the stream is over 1 MB: ${big.length} bytes`);
    const wantBig = expected([f], PREAMBLE_RETRY, 1);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: big.length }), { minLength: 1, maxLength: 200 }), (cuts) => {
        assert.deepEqual(parse(cutAt(big, cuts)), wantBig);
      }),
      { numRuns: 10 },
    );
  });
});

/** Data built from the tokens that break naive encoders, mixed with arbitrary Unicode. */
const awkwardText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\n\r',
        ':',
        ' ',
        'data: ',
        'id: x',
        'event: y',
        'retry: 5',
        '',
        '\u0000',
      ),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 3 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

/** Legal id and type values: anything but CR, LF and NUL. */
const fieldText = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !/[\r\n\0]/.test(s));

const arbitraryFields: fc.Arbitrary<EventFields> = fc.record(
  {
    data: awkwardText,
    id: fieldText,
    type: fieldText,
    retry: fc.nat({ max: 86_400_000 }),
  },
  { requiredKeys: ['data'] },
);

describe('arbitrary events, arbitrary chunkings (fast-check)', () => {
  test('data normalised to LF, id, type and retry exact', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryFields, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 32 }),
        (fields, rawCuts) => {
          const bytes = stream(fields, PREAMBLE_RETRY);
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          assert.deepEqual(parse(cutAt(bytes, cuts)), expected(fields, PREAMBLE_RETRY, fields.length));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('every single cut of an arbitrary event', () => {
    fc.assert(
      fc.property(arbitraryFields, (f) => {
        const bytes = stream([f], PREAMBLE_RETRY);
        const want = expected([f], PREAMBLE_RETRY, 1);
        for (let i = 0; i <= bytes.length; i++) assert.deepEqual(parse(cutAt(bytes, [i])), want);
      }),
      { numRuns: 200 },
    );
  });

  test('id and type with CR, LF or NUL never reach the wire', () => {
    for (const bad of ['a\rb', 'a\nb', 'a\r\nb', 'a\u0000b', '\r', '\n']) {
      assert.throws(() => encodeEvent({ data: 'x', id: bad }), TypeError);
      assert.throws(() => encodeEvent({ data: 'x', type: bad }), TypeError);
    }
  });
});

describe('the reader side: CRLF and lone-CR line ends split across chunks', () => {
  // The hub only writes LF, but clients of ours read other servers too: the same events with
  // CRLF (cut between CR and LF) and lone CR line ends must parse identically at every cut.
  const fields = VECTORS.filter((f) => f.retry === undefined);
  const lf = stream(fields, PREAMBLE_RETRY).toString('utf8');
  const want = expected(fields, PREAMBLE_RETRY, fields.length);
  for (const [name, eol] of [
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    test(`${name} line ends at every cut`, () => {
      const bytes = Buffer.from(lf.replace(/\n/g, eol), 'utf8');
      let insideCrlf = 0;
      for (let i = 0; i <= bytes.length; i++) {
        if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) insideCrlf++;
        assert.deepEqual(parse(cutAt(bytes, [i])), want, `cut at ${i}`);
      }
      if (eol === '\r\n') assert.ok(insideCrlf > 50, `more than 50 cuts inside a CRLF: ${insideCrlf}`);
    });
  }
});
