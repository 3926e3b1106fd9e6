import assert from 'node:assert/strict';
import { it } from 'node:test';
import { appendAll, ids, readAll, update, type WithStore } from './store-contract-support.js';

/** The store contract's retention by age, for stores declaring `ageRetention` (an injected clock). */
export function ageRetentionCases(withStore: WithStore): void {
  it('retains by age with the injected clock', async () => {
    let now = 1_700_000_000_000;
    await withStore({ maxCount: 100, maxAgeMs: 60_000, now: () => now }, async ({ store }) => {
      const old = Array.from({ length: 3 }, () => update());
      await appendAll(store, old);
      now += 30_000;
      const mid = Array.from({ length: 3 }, () => update());
      await appendAll(store, mid);
      assert.deepEqual(ids(await readAll(store)), ids([...old, ...mid]));
      now += 31_000; // old ones are 61 s old, mid ones 31 s
      assert.deepEqual(ids(await readAll(store)), ids(mid));
      assert.equal((await store.readAfter(old[0]!.id, 10)).found, false);
      assert.equal((await store.readAfter(old[2]!.id, 10)).found, false);
      assert.deepEqual(ids((await store.readAfter(mid[0]!.id, 10)).updates), ids(mid.slice(1)));
      assert.equal(await store.lastId(), mid[2]!.id);
      const fresh = update();
      await store.append(fresh);
      // An expired id can be published again.
      const again = update(old[0]!.id, 'again');
      await store.append(again);
      assert.deepEqual(ids(await readAll(store)), [...ids(mid), fresh.id, again.id]);
      now += 120_000;
      assert.deepEqual(await store.readAfter('earliest', 10), { found: true, updates: [], more: false });
      assert.equal(await store.lastId(), undefined);
      assert.equal((await store.readAfter(fresh.id, 10)).found, false);
    });
  });
}
