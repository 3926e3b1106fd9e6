import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUpdate, type HistoryStore } from '@tidings/hub';
import { ageRetentionCases } from './store-contract-age.js';
import { filteredReadCases } from './store-contract-filtered.js';
import {
  appendAll,
  ids,
  isDuplicate,
  readAll,
  reopenable,
  type StoreCapabilities,
  type StoreContractOptions,
  type StoreFactory,
  type StoreUnderTest,
  update,
} from './store-contract-support.js';

export {
  type StoreCapabilities,
  type StoreContractOptions,
  type StoreFactory,
  type StoreUnderTest,
  TOPIC,
  topicUpdate,
  update,
} from './store-contract-support.js';

/**
 * The contract every HistoryStore honours (memory, LMDB, Redis): one suite, run by
 * packages/hub/test/store-memory.test.ts, store-lmdb.test.ts and packages/redis/test/redis-store.test.ts.
 */

export function runStoreContract(name: string, factory: StoreFactory, caps: StoreCapabilities = {}): void {
  describe(`HistoryStore contract: ${name}`, () => {
    async function withStore(
      options: StoreContractOptions,
      fn: (
        s: StoreUnderTest & { current: () => HistoryStore; restart: () => Promise<void> },
      ) => Promise<void>,
    ): Promise<void> {
      const sut = await factory(options);
      let current = sut.store;
      try {
        await fn({
          ...sut,
          current: () => current,
          restart: async () => {
            await current.close();
            current = await sut.reopen!();
          },
        });
      } finally {
        await sut.cleanup();
      }
    }

    it('starts empty: earliest is found and empty, any id is unknown', async () => {
      await withStore({ maxCount: 10 }, async ({ store }) => {
        assert.equal(await store.lastId(), undefined);
        assert.deepEqual(await store.readAfter('earliest', 10), { found: true, updates: [], more: false });
        assert.deepEqual(await store.readAfter('urn:uuid:never', 10), {
          found: false,
          updates: [],
          more: false,
        });
      });
    });

    it('keeps every field of an update and rebuilds the same frame', async () => {
      await withStore({ maxCount: 10 }, async ({ store }) => {
        const originals = [update(), update(), update(), update(), update()];
        const tricky = createUpdate({
          topics: ['urn:é/ünïcode 😀', 'https://example.com/a b'],
          data: 'line1\nid: forged\n\nevent: x\nlast ✓',
          private: true,
          id: 'id with spaces é 😀',
          type: 'évènement',
          retry: 0,
        });
        originals.push(tricky);
        await appendAll(store, originals);
        const { updates, found, more } = await store.readAfter('earliest', 100);
        assert.equal(found, true);
        assert.equal(more, false);
        assert.equal(updates.length, originals.length);
        for (const [i, u] of updates.entries()) {
          const o = originals[i]!;
          assert.deepEqual([...u.topics], [...o.topics]);
          assert.equal(u.data, o.data);
          assert.equal(u.private, o.private);
          assert.equal(u.id, o.id);
          assert.equal(u.type, o.type);
          assert.equal(u.retry, o.retry);
          assert.equal(u.frame.toString('utf8'), o.frame.toString('utf8'));
        }
        assert.equal(await store.lastId(), tricky.id);
      });
    });

    it('reads strictly after an id, in append order', async () => {
      await withStore({ maxCount: 100 }, async ({ store }) => {
        const us = Array.from({ length: 10 }, () => update());
        await appendAll(store, us);
        const r = await store.readAfter(us[3]!.id, 100);
        assert.equal(r.found, true);
        assert.deepEqual(ids(r.updates), ids(us.slice(4)));
        assert.equal(r.more, false);
        const atEnd = await store.readAfter(us[9]!.id, 100);
        // `at` names the update read after (who may know it exists: docs/security.md).
        assert.deepEqual(atEnd, {
          found: true,
          updates: [],
          more: false,
          at: { private: us[9]!.private, topics: us[9]!.topics },
        });
        assert.equal((await store.readAfter('earliest', 100)).at, undefined, 'earliest names no update');
        assert.deepEqual(await store.readAfter('urn:uuid:unknown', 100), {
          found: false,
          updates: [],
          more: false,
        });
        assert.equal(await store.lastId(), us[9]!.id);
      });
    });

    it('pages with limit and more', async () => {
      await withStore({ maxCount: 100 }, async ({ store }) => {
        const us = Array.from({ length: 10 }, () => update());
        await appendAll(store, us);
        const p1 = await store.readAfter('earliest', 3);
        assert.deepEqual(ids(p1.updates), ids(us.slice(0, 3)));
        assert.equal(p1.more, true);
        const p2 = await store.readAfter(us[2]!.id, 3);
        assert.deepEqual(ids(p2.updates), ids(us.slice(3, 6)));
        assert.equal(p2.more, true);
        const p4 = await store.readAfter(us[8]!.id, 3);
        assert.deepEqual(ids(p4.updates), ids(us.slice(9)));
        assert.equal(p4.more, false);
        const exact = await store.readAfter(us[6]!.id, 3);
        assert.deepEqual(ids(exact.updates), ids(us.slice(7)));
        assert.equal(exact.more, false);
        const none = await store.readAfter(us[4]!.id, 0);
        assert.equal(none.found, true);
        assert.equal(none.updates.length, 0);
        assert.equal(none.more, true);
        assert.deepEqual(ids(await readAll(store, 'earliest', 4)), ids(us));
      });
    });

    it('rejects a duplicate id with duplicate_id (409) and leaves history intact', async () => {
      await withStore({ maxCount: 100 }, async ({ store }) => {
        const a = update();
        const b = update();
        await appendAll(store, [a, b]);
        await assert.rejects(store.append(update(a.id, 'other')), isDuplicate);
        await assert.rejects(store.append(update(b.id, 'other')), isDuplicate);
        const c = update();
        await store.append(c);
        const all = await readAll(store);
        assert.deepEqual(ids(all), [a.id, b.id, c.id]);
        assert.equal(all[0]!.data, a.data);
        assert.equal(await store.lastId(), c.id);
      });
    });

    it('accepts exactly one of two concurrent appends with the same id', async () => {
      await withStore({ maxCount: 100 }, async ({ store }) => {
        const id = `urn:uuid:race-${Date.now()}`;
        const results = await Promise.allSettled([
          store.append(update(id, 'one')),
          store.append(update(id, 'two')),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const rejected = results.filter((r) => r.status === 'rejected');
        assert.equal(rejected.length, 1);
        assert.ok(
          isDuplicate((rejected[0] as PromiseRejectedResult).reason),
          'the second append of the id is refused as a duplicate',
        );
        const all = await readAll(store);
        assert.deepEqual(ids(all), [id]);
        assert.equal(all[0]!.data, 'one');
      });
    });

    it('keeps call order with many concurrent publishers (appends in flight)', async () => {
      await withStore({ maxCount: 2000 }, async ({ store }) => {
        const us = Array.from({ length: 600 }, () => update());
        const dup = update(us[10]!.id, 'dup in flight');
        const results = await Promise.allSettled([...us.map((u) => store.append(u)), store.append(dup)]);
        assert.ok(
          results.slice(0, us.length).every((r) => r.status === 'fulfilled'),
          'every distinct append succeeded',
        );
        const last = results[us.length]!;
        assert.equal(last.status, 'rejected');
        assert.ok(
          isDuplicate((last as PromiseRejectedResult).reason),
          'the in-flight duplicate is refused as a duplicate',
        );
        assert.deepEqual(ids(await readAll(store, 'earliest', 97)), ids(us));
        assert.equal(await store.lastId(), us[us.length - 1]!.id);
        // Interleaved publishers: several async loops, each awaiting its own appends.
        const loops = await Promise.all(
          Array.from({ length: 8 }, async () => {
            const mine: string[] = [];
            for (let i = 0; i < 25; i++) {
              const u = update();
              await store.append(u);
              mine.push(u.id);
            }
            return mine;
          }),
        );
        const after = ids(await readAll(store, us[us.length - 1]!.id, 50));
        assert.equal(after.length, 200);
        for (const mine of loops)
          assert.deepEqual(
            after.filter((id) => mine.includes(id)),
            mine,
          );
      });
    });

    it('retains the newest maxCount updates; older ids become unknown and may be published again', async () => {
      await withStore({ maxCount: 5 }, async ({ store }) => {
        const us = Array.from({ length: 12 }, () => update());
        await appendAll(store, us);
        assert.deepEqual(ids(await readAll(store)), ids(us.slice(7)));
        assert.equal((await store.readAfter(us[6]!.id, 10)).found, false);
        assert.equal((await store.readAfter(us[0]!.id, 10)).found, false);
        const fromOldest = await store.readAfter(us[7]!.id, 10);
        assert.equal(fromOldest.found, true);
        assert.deepEqual(ids(fromOldest.updates), ids(us.slice(8)));
        assert.equal(await store.lastId(), us[11]!.id);
        // An id that left history is not a duplicate any more.
        const again = update(us[0]!.id, 'again');
        await store.append(again);
        const now = await readAll(store);
        assert.deepEqual(ids(now), [...ids(us.slice(8)), again.id]);
        assert.equal(now[4]!.data, 'again');
        // Many more appends: history stays exactly maxCount long.
        const more = Array.from({ length: 40 }, () => update());
        await Promise.all(more.map((u) => store.append(u)));
        assert.deepEqual(ids(await readAll(store)), ids(more.slice(35)));
        assert.equal((await store.readAfter(again.id, 10)).found, false);
      });
    });

    filteredReadCases(factory, withStore, caps);

    if (caps.ageRetention) ageRetentionCases(withStore);

    it('resumes from a long id (beyond database key limits)', async () => {
      await withStore({ maxCount: 10 }, async ({ store }) => {
        const longId = `urn:long:${'x'.repeat(4000)}é`;
        const a = update(longId);
        const b = update();
        await appendAll(store, [a, b]);
        assert.deepEqual(ids((await store.readAfter(longId, 10)).updates), [b.id]);
        assert.equal((await store.readAfter(`${longId}y`, 10)).found, false);
        await assert.rejects(store.append(update(longId)), isDuplicate);
      });
    });

    it('restarts: history, order, duplicate detection and the sequence survive', async (t) => {
      if (!(await reopenable(factory))) {
        t.skip('this store does not survive a restart (by design)');
        return;
      }
      await withStore({ maxCount: 50 }, async ({ current, restart }) => {
        const first = Array.from({ length: 20 }, () => update());
        await Promise.all(first.map((u) => current().append(u)));
        await restart();
        assert.deepEqual(ids(await readAll(current())), ids(first));
        assert.equal(await current().lastId(), first[19]!.id);
        assert.deepEqual(ids((await current().readAfter(first[4]!.id, 3)).updates), ids(first.slice(5, 8)));
        await assert.rejects(current().append(update(first[3]!.id)), isDuplicate);
        const second = Array.from({ length: 40 }, () => update());
        await appendAll(current(), second);
        await restart();
        const expected = [...first, ...second].slice(-50);
        assert.deepEqual(ids(await readAll(current())), ids(expected));
        assert.equal((await current().readAfter(first[9]!.id, 1)).found, false);
        assert.deepEqual(ids((await current().readAfter(first[10]!.id, 1)).updates), [first[11]!.id]);
      });
    });
  });
}
