import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUpdate, type HistoryFilter, type HistoryStore, HubError, type Update } from '@tidings/hub';

/**
 * The contract every HistoryStore honours (memory, LMDB, Redis): one suite, run by
 * packages/hub/test/store-memory.test.ts, store-lmdb.test.ts and packages/redis/test/redis-store.test.ts.
 */

export interface StoreContractOptions {
  /** History keeps the newest `maxCount` updates. */
  readonly maxCount: number;
  /** Only for stores declaring `ageRetention`. */
  readonly maxAgeMs?: number;
  /** The clock the store must use for age retention (only for stores declaring `ageRetention`). */
  readonly now?: () => number;
}

export interface StoreUnderTest {
  readonly store: HistoryStore;
  /** Opens the same history again, as a restarted process would (the test closes `store` first). */
  readonly reopen?: () => Promise<HistoryStore>;
  /** Closes whatever is still open and deletes the history. */
  readonly cleanup: () => Promise<void>;
}

export interface StoreCapabilities {
  /** The store takes `maxAgeMs` and `now` and hides (and trims) older updates. */
  readonly ageRetention?: boolean;
  /**
   * A filtered read returns only matching updates, and `more` only when a matching one follows
   * (the contract lets a store return others; one with a topic index does not).
   */
  readonly exactFilter?: boolean;
}

export type StoreFactory = (options: StoreContractOptions) => Promise<StoreUnderTest>;

let counter = 0;
export function update(id?: string, data?: string): Update {
  counter++;
  return createUpdate({
    topics: [`https://example.com/books/${counter}`, 'https://example.com/books/{id}'],
    data: data ?? `payload ${counter}\nsecond line`,
    private: counter % 2 === 0,
    id: id ?? `urn:uuid:contract-${process.pid}-${counter}`,
    type: counter % 3 === 0 ? 'book' : undefined,
    retry: counter % 5 === 0 ? 1000 : undefined,
  });
}

function ids(updates: readonly Update[]): string[] {
  return updates.map((u) => u.id);
}

/** Topics of the filtered-read cases: near misses of A (a longer topic, another case) must not match it. */
export const TOPIC = {
  a: 'https://example.com/topics/a',
  b: 'https://example.com/topics/b',
  c: 'urn:tidings:topic:c',
  never: 'https://example.com/topics/never',
  aSlash: 'https://example.com/topics/a/',
  aUpper: 'https://example.com/topics/A',
} as const;

export function topicUpdate(topics: readonly string[], id?: string): Update {
  counter++;
  return createUpdate({
    topics,
    data: `payload ${counter}`,
    private: counter % 2 === 0,
    id: id ?? `urn:uuid:contract-${process.pid}-${counter}`,
  });
}

/**
 * A history mixing topics: canonical topics rotate over A, B, C, a topic of its own and A's near
 * misses; alternates add B, C or A, a template-like topic, or the canonical topic again.
 */
function mixedHistory(n: number): Update[] {
  const canonical = [TOPIC.a, TOPIC.b, TOPIC.c, '', TOPIC.aSlash, TOPIC.aUpper];
  return Array.from({ length: n }, (_, i) => {
    const first = canonical[i % canonical.length] || `https://example.com/other/${i}`;
    const alternates = [[TOPIC.b], [TOPIC.c, TOPIC.a], [], ['https://example.com/topics/{id}'], [first]][
      i % 5
    ]!;
    return topicUpdate([first, ...alternates]);
  });
}

function matches(u: Update, filter: HistoryFilter): boolean {
  return u.topics.some((t) => filter.topics.has(t));
}

function filterOf(...topics: string[]): HistoryFilter {
  return { topics: new Set(topics) };
}

/**
 * Pages through history with a filter as the hub does, checking each page: found, at most
 * `page` updates, a non-empty page whenever `more` (so the caller can go on); with an exact
 * store, `more` only when a matching update follows (the next page is not empty).
 */
async function readFiltered(
  store: HistoryStore,
  afterId: string,
  page: number,
  filter: HistoryFilter,
  exact: boolean,
): Promise<Update[]> {
  const out: Update[] = [];
  let cursor = afterId;
  for (let i = 0; i < 10_000; i++) {
    const r = await store.readAfter(cursor, page, filter);
    assert.equal(r.found, true, `readFiltered: ${cursor} not found`);
    assert.ok(r.updates.length <= page, `a page of ${r.updates.length} updates, limit ${page}`);
    if (exact && i > 0) assert.ok(r.updates.length > 0, 'more was true but no matching update followed');
    out.push(...r.updates);
    if (!r.more) return out;
    assert.ok(r.updates.length > 0, 'more is true but the page is empty');
    cursor = r.updates[r.updates.length - 1]!.id;
  }
  throw new Error('readFiltered did not terminate');
}

/**
 * What a filtered read must give after `history[start]` (start -1: earliest): the matching
 * subsequence, once the test filters again; whatever came back in history order without repeats;
 * with an exact store, nothing else.
 */
function checkFiltered(
  got: readonly Update[],
  history: readonly Update[],
  start: number,
  filter: HistoryFilter,
  exact: boolean,
  what: string,
): void {
  const position = new Map(history.map((u, i) => [u.id, i]));
  let previous = start;
  for (const u of got) {
    const p = position.get(u.id);
    assert.ok(p !== undefined, `${what}: ${u.id} is not in history`);
    assert.ok(p > previous, `${what}: ${u.id} out of order, repeated, or not after the start`);
    previous = p;
  }
  const expected = history.slice(start + 1).filter((u) => matches(u, filter));
  assert.deepEqual(
    ids(got.filter((u) => matches(u, filter))),
    ids(expected),
    `${what}: the matching subsequence`,
  );
  if (exact) assert.deepEqual(ids(got), ids(expected), `${what}: only matching updates`);
}

async function readAll(store: HistoryStore, afterId = 'earliest', page = 7): Promise<Update[]> {
  const out: Update[] = [];
  let cursor = afterId;
  for (let i = 0; i < 10_000; i++) {
    const r = await store.readAfter(cursor, page);
    assert.equal(r.found, true, `readAll: ${cursor} not found`);
    out.push(...r.updates);
    if (!r.more) return out;
    assert.ok(r.updates.length > 0, 'more is true but the page is empty');
    cursor = r.updates[r.updates.length - 1]!.id;
  }
  throw new Error('readAll did not terminate');
}

async function appendAll(store: HistoryStore, updates: readonly Update[]): Promise<void> {
  for (const u of updates) await store.append(u);
}

function isDuplicate(err: unknown): boolean {
  return err instanceof HubError && err.code === 'duplicate_id' && err.status === 409;
}

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

    describe('filtered reads (topics)', () => {
      const exact = caps.exactFilter === true;
      const filters: [string, HistoryFilter][] = [
        ['A', filterOf(TOPIC.a)],
        ['C (canonical or alternate)', filterOf(TOPIC.c)],
        ['A and B', filterOf(TOPIC.a, TOPIC.b)],
        ['a topic that never occurs', filterOf(TOPIC.never)],
        ['B, A in another case and one that never occurs', filterOf(TOPIC.b, TOPIC.aUpper, TOPIC.never)],
      ];

      it('an empty history: earliest is found and empty, any id unknown', async () => {
        await withStore({ maxCount: 10 }, async ({ store }) => {
          const filter = filterOf(TOPIC.a);
          assert.deepEqual(await store.readAfter('earliest', 10, filter), {
            found: true,
            updates: [],
            more: false,
          });
          assert.deepEqual(await store.readAfter('urn:uuid:never', 10, filter), {
            found: false,
            updates: [],
            more: false,
          });
        });
      });

      it('after every position, at every page size, gives the matching subsequence in order', async () => {
        await withStore({ maxCount: 100 }, async ({ store }) => {
          const history = mixedHistory(30);
          await appendAll(store, history);
          for (const [name, filter] of filters) {
            for (let start = -1; start < history.length; start++) {
              const afterId = start === -1 ? 'earliest' : history[start]!.id;
              for (const page of [1, 2, 7, 1000]) {
                const got = await readFiltered(store, afterId, page, filter, exact);
                checkFiltered(got, history, start, filter, exact, `${name} after ${start}, page ${page}`);
              }
            }
          }
        });
      });

      it('found is about the id alone; an unknown id is not found whatever the filter', async () => {
        await withStore({ maxCount: 100 }, async ({ store }) => {
          const history = mixedHistory(12);
          await appendAll(store, history);
          // history[3]'s topics are none of these; resuming after it is still a hit.
          const filter = filterOf(TOPIC.never);
          const r = await store.readAfter(history[3]!.id, 5, filter);
          assert.equal(r.found, true);
          const at = { private: history[3]!.private, topics: history[3]!.topics };
          if (exact) assert.deepEqual(r, { found: true, updates: [], more: false, at });
          assert.deepEqual(await store.readAfter('urn:uuid:unknown', 5, filterOf(TOPIC.a)), {
            found: false,
            updates: [],
            more: false,
          });
          const none = await store.readAfter('earliest', 0, filterOf(TOPIC.a));
          assert.equal(none.found, true);
          assert.equal(none.updates.length, 0);
          if (exact) {
            const last = history[history.length - 1]!;
            const tail = await store.readAfter(last.id, 5, filterOf(TOPIC.a, TOPIC.b, TOPIC.c));
            const at = { private: last.private, topics: last.topics };
            assert.deepEqual(tail, { found: true, updates: [], more: false, at });
          }
        });
      });

      it('with count retention: reads only what history keeps; trimmed ids are unknown', async () => {
        await withStore({ maxCount: 6 }, async ({ store }) => {
          const history = mixedHistory(20);
          await appendAll(store, history);
          const kept = history.slice(-6);
          for (const [name, filter] of filters) {
            for (const page of [1, 2, 7]) {
              checkFiltered(
                await readFiltered(store, 'earliest', page, filter, exact),
                kept,
                -1,
                filter,
                exact,
                name,
              );
              const from = kept[1]!.id;
              checkFiltered(
                await readFiltered(store, from, page, filter, exact),
                kept,
                1,
                filter,
                exact,
                name,
              );
            }
            assert.equal((await store.readAfter(history[13]!.id, 5, filter)).found, false);
            assert.equal((await store.readAfter(history[0]!.id, 5, filter)).found, false);
          }
          // Trimmed ids may be published again; the new one is read, the old one never again.
          const again = topicUpdate([TOPIC.a], history[0]!.id);
          await store.append(again);
          const got = await readFiltered(store, 'earliest', 2, filterOf(TOPIC.a), exact);
          const now = [...history.slice(-5), again];
          checkFiltered(got, now, -1, filterOf(TOPIC.a), exact, 'after publishing a trimmed id again');
          assert.equal(got.filter((u) => u.id === again.id).length, 1);
          assert.equal(got.find((u) => u.id === again.id)?.data, again.data);
        });
      });

      if (caps.ageRetention) {
        it('with age retention: hides what is older than maxAgeMs', async () => {
          let now = 1_700_000_000_000;
          await withStore({ maxCount: 100, maxAgeMs: 60_000, now: () => now }, async ({ store }) => {
            const old = mixedHistory(12);
            await appendAll(store, old);
            now += 30_000;
            const mid = mixedHistory(12);
            await appendAll(store, mid);
            for (const [name, filter] of filters) {
              checkFiltered(
                await readFiltered(store, 'earliest', 3, filter, exact),
                [...old, ...mid],
                -1,
                filter,
                exact,
                name,
              );
            }
            now += 31_000; // old ones are 61 s old, mid ones 31 s
            for (const [name, filter] of filters) {
              for (const page of [1, 7]) {
                checkFiltered(
                  await readFiltered(store, 'earliest', page, filter, exact),
                  mid,
                  -1,
                  filter,
                  exact,
                  name,
                );
                checkFiltered(
                  await readFiltered(store, mid[4]!.id, page, filter, exact),
                  mid,
                  4,
                  filter,
                  exact,
                  name,
                );
              }
              assert.equal((await store.readAfter(old[11]!.id, 5, filter)).found, false);
            }
            now += 120_000;
            assert.deepEqual(await store.readAfter('earliest', 10, filterOf(TOPIC.a, TOPIC.b)), {
              found: true,
              updates: [],
              more: false,
            });
            assert.equal((await store.readAfter(mid[11]!.id, 10, filterOf(TOPIC.a))).found, false);
            // An expired id published again is read once, as the new update.
            const again = topicUpdate([TOPIC.c], old[2]!.id);
            await store.append(again);
            assert.deepEqual(ids(await readFiltered(store, 'earliest', 5, filterOf(TOPIC.c), exact)), [
              again.id,
            ]);
          });
        });
      }

      it('survives a restart (for stores that do)', async (t) => {
        const probe = await factory({ maxCount: 1 });
        const reopenable = probe.reopen !== undefined;
        await probe.cleanup();
        if (!reopenable) {
          t.skip('this store does not survive a restart (by design)');
          return;
        }
        await withStore({ maxCount: 50 }, async ({ current, restart }) => {
          const first = mixedHistory(20);
          await appendAll(current(), first);
          await restart();
          const second = mixedHistory(20);
          await appendAll(current(), second);
          const all = [...first, ...second].slice(-50);
          for (const [name, filter] of filters) {
            checkFiltered(
              await readFiltered(current(), 'earliest', 7, filter, exact),
              all,
              -1,
              filter,
              exact,
              name,
            );
            const start = all.indexOf(first[15]!);
            checkFiltered(
              await readFiltered(current(), first[15]!.id, 3, filter, exact),
              all,
              start,
              filter,
              exact,
              name,
            );
          }
        });
      });
    });

    if (caps.ageRetention) {
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
      const probe = await factory({ maxCount: 1 });
      const reopenable = probe.reopen !== undefined;
      await probe.cleanup();
      if (!reopenable) {
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
