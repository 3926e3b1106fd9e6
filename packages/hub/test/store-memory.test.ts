import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runStoreContract, topicUpdate } from '@tidings/test-support';
import type { Update } from '../src/model/update.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { HistoryFilter } from '../src/store/store.js';

runStoreContract(
  'MemoryStore',
  async ({ maxCount, maxAgeMs, now }) => {
    const store = new MemoryStore({
      size: maxCount,
      ...(maxAgeMs !== undefined && { maxAgeMs }),
      ...(now !== undefined && { now }),
    });
    return { store, cleanup: () => store.close() };
  },
  { ageRetention: true, exactFilter: true },
);

describe('MemoryStore', () => {
  async function readAll(store: MemoryStore, afterId: string, page: number, filter: HistoryFilter) {
    const out: string[] = [];
    for (let cursor = afterId; ; ) {
      const r = await store.readAfter(cursor, page, filter);
      assert.equal(r.found, true);
      out.push(...r.updates.map((u) => u.id));
      if (!r.more) return out;
      cursor = r.updates[r.updates.length - 1]!.id;
    }
  }

  it('keeps its topic index exact while the ring wraps many times (lists compacted, topics dropped)', async () => {
    const size = 1500;
    let now = 0;
    const store = new MemoryStore({ size, maxAgeMs: 5_000, now: () => now });
    const all: Update[] = [];
    const topic = (k: number) => `https://example.com/t/${k}`;
    for (let i = 0; i < 8000; i++) {
      // Three busy topics, and from time to time one that appears once (its list must go away).
      const topics = i % 50 === 0 ? [`https://example.com/once/${i}`] : [topic(i % 3), topic((i * 5) % 3)];
      const u = topicUpdate(topics);
      await store.append(u);
      all.push(u);
      now += 1;
      const kept = all.slice(-size);
      const once = `https://example.com/once/${Math.floor(i / 50) * 50}`;
      for (const filter of [[topic(0)], [topic(1)], [topic(1), topic(2)], [once]]) {
        const set = new Set(filter);
        const wanted = (u: Update) => u.topics.some((t) => set.has(t));
        // The oldest matching updates, after every append: a topic list compacted or evicted
        // wrongly loses its front, which the next appends evict anyway.
        const front = (await store.readAfter('earliest', 3, { topics: set })).updates.map((u) => u.id);
        const expectedFront: string[] = [];
        for (let k = 0; k < kept.length && expectedFront.length < 3; k++)
          if (wanted(kept[k]!)) expectedFront.push(kept[k]!.id);
        assert.deepEqual(front, expectedFront);
        if (i % 97 !== 96) continue;
        assert.deepEqual(
          await readAll(store, 'earliest', 97, { topics: set }),
          kept.filter(wanted).map((u) => u.id),
        );
        if (kept.length <= 701) continue;
        const from = kept[700]!;
        const after = kept.slice(701).filter((u) => u.topics.some((t) => set.has(t)));
        assert.deepEqual(
          await readAll(store, from.id, 500, { topics: set }),
          after.map((u) => u.id),
        );
      }
    }
    // Age: 5 s without an append hides everything, and the next appends drop it from the front.
    now += 6_000;
    assert.deepEqual(await store.readAfter('earliest', 10, { topics: new Set([topic(0)]) }), {
      found: true,
      updates: [],
      more: false,
    });
    assert.equal(await store.lastId(), undefined);
    const fresh = topicUpdate([topic(0)]);
    await store.append(fresh);
    assert.deepEqual(await readAll(store, 'earliest', 10, { topics: new Set([topic(0)]) }), [fresh.id]);
  });
});
