/**
 * The LMDB store's group commit (store/group-commit.ts): one batch under way at a time, the next
 * one taking every item that came meanwhile, in arrival order; results and failures per batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit, MAX_GATHER_TURNS } from '../src/store/group-commit.js';

/** A commit that records its batches and finishes when the test says so. */
function gatedCommit() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const commit = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((n) => n * 10);
  };
  return { batches, gates, commit };
}

test('items of one turn share a batch; items that come while it commits share the next', async () => {
  const { batches, gates, commit } = gatedCommit();
  const group = new GroupCommit(commit);
  const first = [1, 2, 3].map((n) => group.add(n));
  while (batches.length === 0) await new Promise((r) => setImmediate(r));
  // The first batch is under way: these wait for it, then go together.
  const later = [4, 5].map((n) => group.add(n));
  await new Promise((r) => setImmediate(r));
  const last = group.add(6);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[1, 2, 3]], 'nothing starts while a batch is under way');
  gates.shift()!();
  assert.deepEqual(await Promise.all(first), [10, 20, 30]);
  while (batches.length < 2) await new Promise((r) => setImmediate(r));
  gates.shift()!();
  assert.deepEqual(await Promise.all([...later, last]), [40, 50, 60]);
  assert.deepEqual(batches, [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  await group.idle();
});

test('a failed batch fails each of its items, and the next batch still runs', async () => {
  let calls = 0;
  const group = new GroupCommit(async (items: readonly string[]) => {
    calls++;
    if (calls === 1) throw new Error('disk full');
    return items.map((s) => s.toUpperCase());
  });
  const failed = [group.add('a'), group.add('b')];
  for (const p of failed) await assert.rejects(p, /disk full/);
  assert.equal(await group.add('c'), 'C');
  await group.idle();
  assert.equal(calls, 2);
});

test('a batch takes the items that keep coming turn after turn, and closes after a turn with none', async () => {
  const { batches, gates, commit } = gatedCommit();
  const group = new GroupCommit(commit);
  const results = [group.add(1)];
  // One item per event-loop turn, as a hub busy reading pipelined publishes appends them: each
  // turn's read brings the next ones.
  for (const n of [2, 3]) {
    await new Promise((r) => setImmediate(r));
    results.push(group.add(n));
  }
  while (batches.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches[0], [1, 2, 3], 'items of consecutive turns join the batch being formed');
  gates.shift()!();
  assert.deepEqual(await Promise.all(results), [10, 20, 30]);
  await group.idle();
});

test('a batch closes after MAX_GATHER_TURNS turns even while items keep coming', async () => {
  const { batches, gates, commit } = gatedCommit();
  const group = new GroupCommit(commit);
  const results = [group.add(0)];
  for (let n = 1; n <= MAX_GATHER_TURNS + 3; n++) {
    await new Promise((r) => setImmediate(r));
    results.push(group.add(n));
  }
  while (batches.length === 0) await new Promise((r) => setImmediate(r));
  assert.ok(
    batches[0]!.length >= 2 && batches[0]!.length <= MAX_GATHER_TURNS + 1,
    `the first batch holds the items of at most ${MAX_GATHER_TURNS + 1} turns, got ${JSON.stringify(batches[0])}`,
  );
  while (gates.length > 0 || batches.flat().length < results.length) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(batches.flat(), [...Array(MAX_GATHER_TURNS + 4).keys()], 'every item once, in order');
  await Promise.all(results);
  await group.idle();
});
