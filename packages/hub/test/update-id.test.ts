/** Hub-generated update ids (model/update-id.ts): `urn:uuid:` version 7 UUIDs, in time order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpdateIds } from '../src/model/update-id.js';

const V7 = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit time of a version 7 UUID, in ms. */
function timeOf(id: string): number {
  const hex = id.slice('urn:uuid:'.length).replaceAll('-', '').slice(0, 12);
  return Number.parseInt(hex, 16);
}

test('an id is a version 7 UUID (RFC 9562 5.7) carrying the time it was made', () => {
  const ids = new UpdateIds();
  for (const now of [0, 1, 0xffffff, 0x1000000, 1_767_000_000_123, 2 ** 48 - 1]) {
    const id = ids.next(now);
    assert.match(id, V7, id);
    assert.equal(timeOf(id), now, id);
  }
  const before = Date.now();
  const id = ids.next();
  assert.ok(timeOf(id) >= before && timeOf(id) <= Date.now(), `${id}: its time is the time it was made`);
});

test('ids sort by time and are unique (200,000 of them, across pool refills)', () => {
  const ids = new UpdateIds();
  const seen = new Set<string>();
  let last = '';
  for (let k = 0; k < 200_000; k++) {
    const id = ids.next(1_767_000_000_000 + Math.floor(k / 1000));
    assert.ok(!seen.has(id), `repeated: ${id}`);
    seen.add(id);
    // Ids of a later millisecond sort after every id of an earlier one.
    if (k % 1000 === 0) {
      assert.ok(id > last, `${id} after ${last}`);
      last = id.slice(0, 'urn:uuid:'.length + 13) + 'z';
    }
  }
  // 74 random bits: no two ids of one millisecond share their random part's first bytes often.
  const sameMs = [...seen].slice(0, 1000).map((id) => id.slice(-12));
  assert.equal(new Set(sameMs).size, 1000);
});
