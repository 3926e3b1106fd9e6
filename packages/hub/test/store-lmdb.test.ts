import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { runStoreContract, update } from './store-contract.js';

runStoreContract(
  'LmdbStore',
  async (options) => {
    const dir = await mkdtemp(join(tmpdir(), 'tidings-lmdb-'));
    const open = () => new LmdbStore({ dir, ...options });
    let last = open();
    return {
      store: last,
      reopen: async () => {
        last = open();
        return last;
      },
      cleanup: async () => {
        await last.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { ageRetention: true },
);

describe('LmdbStore', () => {
  async function tempDir(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'tidings-lmdb-'));
  }

  it('creates a missing data directory, even one whose name has a dot', async () => {
    const base = await tempDir();
    const dir = join(base, 'nested', 'data.v1');
    const store = new LmdbStore({ dir });
    await store.append(update());
    await store.close();
    assert.ok((await readdir(dir)).length > 0);
    await rm(base, { recursive: true, force: true });
  });

  it('keeps its epoch across restarts; a wiped directory gets a new epoch and knows no id', async () => {
    const dir = await tempDir();
    const a = update();
    let store = new LmdbStore({ dir });
    const epoch = store.epoch;
    await store.append(a);
    await store.close();
    store = new LmdbStore({ dir });
    assert.equal(store.epoch, epoch);
    assert.equal((await store.readAfter(a.id, 10)).found, true);
    await store.close();
    await rm(dir, { recursive: true, force: true });
    store = new LmdbStore({ dir });
    assert.notEqual(store.epoch, epoch);
    assert.deepEqual(await store.readAfter(a.id, 10), { found: false, updates: [], more: false });
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('bounds trimming per append and hides what is over the limit meanwhile', async () => {
    const dir = await tempDir();
    let store = new LmdbStore({ dir, maxCount: 1000 });
    const us = Array.from({ length: 300 }, () => update());
    await Promise.all(us.map((u) => store.append(u)));
    await store.close();
    // Lower the limit: 290 updates are now over it, but one append deletes at most 8.
    store = new LmdbStore({ dir, maxCount: 10, trimPerAppend: 8 });
    const next = update();
    await store.append(next);
    const r = await store.readAfter('earliest', 100);
    assert.deepEqual(
      r.updates.map((u) => u.id),
      [...us.slice(-9), next].map((u) => u.id),
    );
    assert.equal((await store.readAfter(us[0]!.id, 1)).found, false);
    // Trimming catches up over the following appends.
    for (let i = 0; i < 40; i++) await store.append(update());
    assert.equal((await store.readAfter('earliest', 100)).updates.length, 10);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects with store_unavailable once closed', async () => {
    const dir = await tempDir();
    const store = new LmdbStore({ dir });
    await store.close();
    await assert.rejects(store.append(update()), { code: 'store_unavailable' });
    await rm(dir, { recursive: true, force: true });
  });
});
