import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PushBounds, PushRecord, PushStore } from '@tidings/hub';

/**
 * The contract every push store keeps (the hub's store/push-store.ts): memory, LMDB and Redis
 * run the same cases. `open` gives an empty store; `reopen`, when the store is durable, opens
 * the same data again (after `close`).
 */
export interface PushStoreFactory {
  open(): Promise<PushStore>;
  reopen?(): Promise<PushStore>;
  dispose?(): Promise<void>;
}

const BOUNDS: PushBounds = { maxTotal: 100, maxPerOwner: 100 };
let n = 0;

export function pushRecord(
  selectors: [string, string][],
  owner = 'o:a',
  extra: Partial<PushRecord> = {},
): PushRecord {
  const id = `rec-${process.pid}-${++n}`;
  return {
    id,
    subscription: {
      endpoint: `https://push.example/${id}`,
      expirationTime: null,
      keys: { p256dh: 'p', auth: 'a' },
    },
    selectors: selectors.map(([type, raw]) => ({ type: type as 'exact' | 'urlpattern', raw })),
    owner,
    presence: owner,
    createdAt: 1000 + n,
    ...extra,
  };
}

const ids = (records: readonly PushRecord[]) => records.map((r) => r.id).sort();

export function runPushStoreContract(name: string, factory: PushStoreFactory): void {
  describe(`push store contract: ${name}`, () => {
    after(async () => factory.dispose?.());

    it('keeps, replaces by id, reads back and removes', async () => {
      const store = await factory.open();
      const a = pushRecord([['exact', 'https://e/1']]);
      await store.put(a, BOUNDS);
      assert.deepEqual(await store.get(a.id), a);
      const moved = { ...a, selectors: [{ type: 'exact' as const, raw: 'https://e/2' }] };
      await store.put(moved, BOUNDS);
      assert.equal(await store.count(), 1);
      assert.deepEqual(
        ids(await store.candidates(['https://e/1'])),
        [],
        'the old topic no longer indexes it',
      );
      assert.deepEqual(ids(await store.candidates(['https://e/2'])), [a.id]);
      assert.equal(
        await store.remove(a.id, a.createdAt - 1),
        false,
        'another registration time is left alone',
      );
      assert.equal(await store.remove(a.id), true);
      assert.equal(await store.remove(a.id), false);
      assert.equal(await store.get(a.id), undefined);
      assert.equal(await store.count(), 0);
      await store.close();
    });

    it('candidates: exact topics by lookup, every pattern and * record, nothing of other topics', async () => {
      const store = await factory.open();
      const one = pushRecord([['exact', 'https://e/a']]);
      const two = pushRecord([
        ['exact', 'https://e/a'],
        ['exact', 'https://e/b'],
      ]);
      const other = pushRecord([['exact', 'https://e/c']]);
      const pattern = pushRecord([['urlpattern', 'https://e/:x']]);
      const all = pushRecord([['exact', '*']]);
      for (const r of [one, two, other, pattern, all]) await store.put(r, BOUNDS);
      assert.deepEqual(ids(await store.candidates(['https://e/a'])), ids([one, two, pattern, all]));
      assert.deepEqual(
        ids(await store.candidates(['https://e/b', 'https://e/c'])),
        ids([two, other, pattern, all]),
      );
      assert.deepEqual(ids(await store.candidates(['https://e/z'])), ids([pattern, all]));
      for (const r of [one, two, other, pattern, all]) await store.remove(r.id);
      assert.deepEqual(await store.candidates(['https://e/a']), []);
      await store.close();
    });

    it('bounds: in total and per owner, a replacement always fits', async () => {
      const store = await factory.open();
      const bounds = { maxTotal: 3, maxPerOwner: 2 };
      const a1 = pushRecord([['exact', 't']], 'o:a');
      const a2 = pushRecord([['exact', 't']], 'o:a');
      await store.put(a1, bounds);
      await store.put(a2, bounds);
      await assert.rejects(store.put(pushRecord([['exact', 't']], 'o:a'), bounds), {
        code: 'too_many_push_subscriptions_subscriber',
      });
      await store.put({ ...a1, selectors: [{ type: 'exact', raw: 'u' }] }, bounds);
      const b = pushRecord([['exact', 't']], 'o:b');
      await store.put(b, bounds);
      await assert.rejects(store.put(pushRecord([['exact', 't']], 'o:c'), bounds), {
        code: 'too_many_push_subscriptions',
      });
      // Moving a record to another owner counts against the new owner.
      await assert.rejects(store.put({ ...b, owner: 'o:a' }, bounds), {
        code: 'too_many_push_subscriptions_subscriber',
      });
      assert.equal(await store.count(), 3);
      for (const r of [a1, a2, b]) await store.remove(r.id);
      await store.close();
    });

    if (factory.reopen !== undefined) {
      it('keeps its records across a close and a reopen', async () => {
        const store = await factory.open();
        const r = pushRecord([['exact', 'https://e/durable']], 'o:d', { token: 'tok', expiresAt: 5_000_000 });
        await store.put(r, BOUNDS);
        await store.close();
        const again = await factory.reopen!();
        assert.deepEqual(await again.get(r.id), r);
        assert.deepEqual(ids(await again.candidates(['https://e/durable'])), [r.id]);
        await again.remove(r.id);
        await again.close();
      });
    }
  });
}
