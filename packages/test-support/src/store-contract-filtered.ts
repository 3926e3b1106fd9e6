import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryFilter, HistoryStore, Update } from '@tidings/hub';
import {
  appendAll,
  ids,
  reopenable,
  type StoreCapabilities,
  type StoreFactory,
  TOPIC,
  topicUpdate,
  type WithStore,
} from './store-contract-support.js';

/** The store contract's filtered reads (`readAfter` with a topic filter), for every store. */

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

export function filteredReadCases(
  factory: StoreFactory,
  withStore: WithStore,
  caps: StoreCapabilities,
): void {
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
            checkFiltered(await readFiltered(store, from, page, filter, exact), kept, 1, filter, exact, name);
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
      if (!(await reopenable(factory))) {
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
}
