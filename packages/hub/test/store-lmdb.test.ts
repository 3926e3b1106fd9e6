import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runStoreContract, TOPIC, topicUpdate, update } from '@tidings/test-support';
import { open, type RootDatabase } from 'lmdb';
import { toRecord, type Update, type UpdateRecord } from '../src/model/update.js';
import { idKey } from '../src/store/id-key.js';
import { LmdbStore } from '../src/store/lmdb-store.js';
import type { HistoryFilter, HistoryStore } from '../src/store/store.js';
import { topicKey } from '../src/store/topic-key.js';

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
  { ageRetention: true, exactFilter: true },
);

/** The directory opened with lmdb itself, as the store lays it out (the store must be closed). */
function openRaw(dir: string): RootDatabase {
  return open({ path: dir, noSubdir: false, maxDbs: 4 });
}

interface RawEntry {
  t: number;
  r: UpdateRecord;
}

/**
 * What is on disk once the store is closed: the format, the updates, and whether the topic index
 * holds exactly one key per (distinct topic, update on disk) and nothing else.
 */
async function inspect(dir: string): Promise<{ format: unknown; seqs: number[]; indexKeys: number }> {
  const root = openRaw(dir);
  try {
    const updates = root.openDB<RawEntry, number>({ name: 'updates' });
    const topics = root.openDB<null, [string, number]>({ name: 'topics' });
    const meta = root.openDB<string | number, string>({ name: 'meta' });
    const expected = new Set<string>();
    const seqs: number[] = [];
    for (const { key, value } of updates.getRange()) {
      seqs.push(key);
      for (const t of value.r.topics) expected.add(JSON.stringify([topicKey(t), key]));
    }
    const actual = new Set<string>();
    for (const key of topics.getKeys()) actual.add(JSON.stringify(key));
    assert.deepEqual([...actual].sort(), [...expected].sort(), 'the topic index matches the updates on disk');
    return { format: meta.get('format'), seqs, indexKeys: actual.size };
  } finally {
    await root.close();
  }
}

function ids(updates: readonly Update[]): string[] {
  return updates.map((u) => u.id);
}

async function readAll(store: HistoryStore, afterId: string, page: number, filter?: HistoryFilter) {
  const out: Update[] = [];
  for (let cursor = afterId; ; ) {
    const r = await store.readAfter(cursor, page, filter);
    assert.equal(r.found, true, `${cursor} not found`);
    out.push(...r.updates);
    if (!r.more) return out;
    cursor = r.updates[r.updates.length - 1]!.id;
  }
}

function only(history: readonly Update[], ...topics: string[]): string[] {
  return ids(history.filter((u) => u.topics.some((t) => topics.includes(t))));
}

function filterOf(...topics: string[]): HistoryFilter {
  return { topics: new Set(topics) };
}

/** 20 topics; every update has one canonical topic and, two times out of three, an alternate. */
function twentyTopics(n: number): Update[] {
  const topic = (k: number) => `https://example.com/feeds/${k % 20}`;
  return Array.from({ length: n }, (_, i) =>
    topicUpdate(i % 3 === 2 ? [topic(i)] : [topic(i), topic(i * 7 + 3)]),
  );
}

describe('LmdbStore', () => {
  async function tempDir(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'tidings-lmdb-'));
  }

  it('reads exactly the updates of the asked topics, from the topic index', async () => {
    const dir = await tempDir();
    const store = new LmdbStore({ dir, maxCount: 1000 });
    const history = twentyTopics(600);
    await Promise.all(history.map((u) => store.append(u)));
    const cases = [
      [`https://example.com/feeds/4`],
      [`https://example.com/feeds/1`, `https://example.com/feeds/10`],
    ];
    cases.push(Array.from({ length: 5 }, (_, k) => `https://example.com/feeds/${k * 3}`));
    for (const topics of cases) {
      for (const page of [1, 50, 500]) {
        assert.deepEqual(
          ids(await readAll(store, 'earliest', page, filterOf(...topics))),
          only(history, ...topics),
        );
        const from = history[299]!.id;
        assert.deepEqual(
          ids(await readAll(store, from, page, filterOf(...topics))),
          only(history.slice(300), ...topics),
        );
      }
    }
    await store.close();
    const { format, indexKeys } = await inspect(dir);
    assert.equal(format, 2);
    assert.equal(indexKeys, 1000);
    await rm(dir, { recursive: true, force: true });
  });

  it('indexes long topics (3,000 characters, 2,048 UTF-16 units of emoji) by hash, each apart', async () => {
    const dir = await tempDir();
    const store = new LmdbStore({ dir, maxCount: 100 });
    const long = `https://example.com/${'x'.repeat(3000)}`;
    const twin = `${long.slice(0, -1)}y`;
    const emoji = '😀'.repeat(1024);
    const at256 = `https://example.com/${'b'.repeat(256 - 20)}`;
    const at257 = `${at256}c`;
    assert.equal(Buffer.byteLength(at256), 256);
    const history = [
      topicUpdate([long]),
      topicUpdate([twin, TOPIC.a]),
      topicUpdate([emoji, long]),
      topicUpdate([at256]),
      topicUpdate([at257, at256]),
      topicUpdate([TOPIC.b, twin]),
      topicUpdate([long, long]),
    ];
    for (const u of history) await store.append(u);
    for (const topics of [[long], [twin], [emoji], [at256], [at257], [long, emoji], [TOPIC.a, twin]]) {
      for (const page of [1, 3, 100]) {
        assert.deepEqual(
          ids(await readAll(store, 'earliest', page, filterOf(...topics))),
          only(history, ...topics),
        );
      }
    }
    assert.deepEqual(
      ids(await readAll(store, history[0]!.id, 1, filterOf(long))),
      ids([history[2]!, history[6]!]),
    );
    await store.close();
    await inspect(dir);
    await rm(dir, { recursive: true, force: true });
  });

  it('trimming removes the index entries of what it deletes (count, bounded lag, age)', async () => {
    const dir = await tempDir();
    let store = new LmdbStore({ dir, maxCount: 10 });
    const history = twentyTopics(60);
    for (const u of history) await store.append(u);
    await store.close();
    let disk = await inspect(dir);
    assert.equal(disk.seqs.length, 10);
    // Lower the limit with a small trimming step: entries over the limit stay on disk (indexed)
    // for a few appends, and filtered reads hide them meanwhile.
    store = new LmdbStore({ dir, maxCount: 3, trimPerAppend: 2 });
    const next = twentyTopics(1);
    await store.append(next[0]!);
    const visible = [...history.slice(-2), next[0]!];
    const all = Array.from({ length: 20 }, (_, k) => `https://example.com/feeds/${k}`);
    assert.deepEqual(ids(await readAll(store, 'earliest', 2, filterOf(...all))), ids(visible));
    await store.close();
    disk = await inspect(dir);
    assert.equal(disk.seqs.length, 9);
    // Age: everything older than a minute goes, with its index entries (the clock starts after the
    // times already on disk, which are real ones).
    let now = Date.now() + 1_000;
    store = new LmdbStore({ dir, maxCount: 100, maxAgeMs: 60_000, now: () => now });
    for (const u of twentyTopics(5)) await store.append(u);
    now += 61_000;
    const fresh = twentyTopics(3);
    for (const u of fresh) await store.append(u);
    assert.deepEqual(ids(await readAll(store, 'earliest', 2, filterOf(...all))), ids(fresh));
    await store.close();
    disk = await inspect(dir);
    assert.equal(disk.seqs.length, 3);
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates a format-1 directory on open: old updates are found by topic, the epoch is kept', async () => {
    const dir = await tempDir();
    // Format 1, as the previous release laid it out: updates (seq -> {t, r}), ids (id key -> seq),
    // meta (format 1, epoch); no topic index. Sequence numbers start past 1, as after trimming.
    const old = twentyTopics(40);
    const raw = openRaw(dir);
    const updates = raw.openDB<RawEntry, number>({ name: 'updates' });
    const idDb = raw.openDB<number, string>({ name: 'ids' });
    const meta = raw.openDB<string | number, string>({ name: 'meta' });
    await raw.transaction(() => {
      old.forEach((u, i) => {
        updates.put(i + 7, { t: 1_000 + i, r: toRecord(u) });
        idDb.put(idKey(u.id), i + 7);
      });
      meta.put('format', 1);
      meta.put('epoch', 'epoch-of-format-1');
    });
    await raw.close();

    let store = new LmdbStore({ dir, maxCount: 1000 });
    assert.equal(store.epoch, 'epoch-of-format-1');
    const topics = ['https://example.com/feeds/3', 'https://example.com/feeds/17'];
    assert.deepEqual(ids(await readAll(store, 'earliest', 4, filterOf(...topics))), only(old, ...topics));
    assert.deepEqual(
      ids(await readAll(store, old[9]!.id, 4, filterOf(...topics))),
      only(old.slice(10), ...topics),
    );
    assert.deepEqual(ids(await readAll(store, 'earliest', 7)), ids(old));
    const added = twentyTopics(20);
    for (const u of added) await store.append(u);
    assert.deepEqual(
      ids(await readAll(store, old[30]!.id, 3, filterOf(...topics))),
      only([...old.slice(31), ...added], ...topics),
    );
    await store.close();
    let disk = await inspect(dir);
    assert.equal(disk.format, 2);
    assert.equal(disk.seqs.length, 60);

    // Opened again: no second migration, and trimming the migrated updates drops their index entries.
    store = new LmdbStore({ dir, maxCount: 15 });
    assert.equal(store.epoch, 'epoch-of-format-1');
    for (let i = 0; i < 3; i++) await store.append(update());
    await store.close();
    disk = await inspect(dir);
    assert.equal(disk.seqs.length, 15);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a directory of a newer format', async () => {
    const dir = await tempDir();
    const raw = openRaw(dir);
    const meta = raw.openDB<string | number, string>({ name: 'meta' });
    await meta.put('format', 3);
    await meta.put('epoch', 'future');
    await raw.close();
    assert.throws(() => new LmdbStore({ dir }), /history format 3 is not supported/);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing data directory, even one whose name has a dot', async () => {
    const base = await tempDir();
    const dir = join(base, 'nested', 'data.v1');
    const store = new LmdbStore({ dir });
    await store.append(update());
    await store.close();
    assert.ok((await readdir(dir)).length > 0, 'the store wrote its files into the new directory');
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

  it('never shows a reader an update before its flush: reads stop at the last acknowledged append', async () => {
    // The store commits with lmdb's overlapping sync (visible to LMDB readers before the
    // fdatasync) and must hide a committed update until its flush acknowledged it.
    const dir = await tempDir();
    const store = new LmdbStore({ dir, maxCount: 10_000 });
    let acked = 0;
    let reads = 0;
    let done = false;
    const reader = (async () => {
      while (!done) {
        const r = await store.readAfter('earliest', 10_000);
        // Acknowledgements come in history order, so a read may show at most the first `acked`.
        assert.ok(
          r.updates.length <= acked,
          `a read showed ${r.updates.length} updates, ${acked} acknowledged`,
        );
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store.append(update()).then(() => {
            acked++;
          }),
        ),
      );
    }
    done = true;
    await reader;
    assert.ok(reads > 20, `the reader ran ${reads} times`);
    assert.equal((await store.readAfter('earliest', 10_000)).updates.length, 200);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends through two stores on one directory without overwriting each other', async () => {
    // Each store keeps history's ends in memory between appends (lmdb-tail.ts) and must notice
    // the other's appends, as another process's would be.
    const dir = await tempDir();
    const a = new LmdbStore({ dir, maxCount: 50 });
    const b = new LmdbStore({ dir, maxCount: 50 });
    const published: Update[] = [];
    for (let i = 0; i < 40; i++) {
      const u = update();
      await (i % 2 === 0 ? a : b).append(u);
      published.push(u);
      if (i % 5 === 4) {
        // And in one transaction, both stores' appends.
        const pair = [update(), update()];
        await Promise.all([a.append(pair[0]!), b.append(pair[1]!)]);
        published.push(...pair);
      }
    }
    // The two appends of a pair may land in either order (two stores: two write queues).
    const expected = ids(published).slice(-50).sort();
    const seenByA = ids(await readAll(a, 'earliest', 7));
    assert.deepEqual([...seenByA].sort(), expected);
    assert.deepEqual(ids(await readAll(b, 'earliest', 7)), seenByA);
    await a.close();
    await b.close();
    const disk = await inspect(dir);
    assert.equal(disk.seqs.length, 50);
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
