/**
 * Issue 6, reconnect storms: the replay gate alone (ops/replay-gate.ts). At most `maxActive`
 * replays at once, the others in arrival order, a bounded queue answered `replay_queue_full`,
 * and a waiter whose client leaves gives its place up at once.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { HubError } from '../src/errors.js';
import { type DisconnectSignal, type Release, ReplayGate } from '../src/ops/replay-gate.js';

/** A socket as far as the gate can tell: it closes once. */
class FakeSocket extends EventEmitter implements DisconnectSignal {
  destroyed = false;
  close(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('replay gate', () => {
  test('admits up to maxActive at once, the rest in arrival order as slots free up', async () => {
    const gate = new ReplayGate(2, 100);
    const order: number[] = [];
    const releases = new Map<number, Release>();
    const all = Array.from({ length: 6 }, (_, i) =>
      gate.acquire().then((r) => {
        assert.ok(r, 'the gate admitted with a release');
        order.push(i);
        releases.set(i, r);
      }),
    );
    await tick();
    assert.deepEqual(order, [0, 1]);
    assert.equal(gate.active, 2);
    assert.equal(gate.waiting, 4);
    releases.get(1)!();
    await tick();
    assert.deepEqual(order, [0, 1, 2]);
    // Releasing twice gives back one slot, not two.
    releases.get(1)!();
    await tick();
    assert.deepEqual(order, [0, 1, 2]);
    releases.get(0)!();
    releases.get(2)!();
    await tick();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    releases.get(3)!();
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(gate.waiting, 0);
    releases.get(4)!();
    releases.get(5)!();
    assert.equal(gate.active, 0);
  });

  test('a newcomer never jumps the queue, even when a slot is free for an instant', async () => {
    const gate = new ReplayGate(1, 10);
    const first = await gate.acquire();
    const got: string[] = [];
    const waiting = gate.acquire().then((r) => {
      got.push('waiter');
      return r;
    });
    first!();
    // The slot went to the waiter synchronously: the newcomer waits behind it.
    const late = gate.acquire().then((r) => {
      got.push('newcomer');
      return r;
    });
    (await waiting)!();
    (await late)!();
    assert.deepEqual(got, ['waiter', 'newcomer']);
  });

  test('past maxWaiting a resume is refused with replay_queue_full and a Retry-After; the count is kept', async () => {
    const gate = new ReplayGate(1, 2);
    const held = await gate.acquire();
    const a = gate.acquire();
    const b = gate.acquire();
    await assert.rejects(gate.acquire(), (err: unknown) => {
      assert.ok(err instanceof HubError, `a HubError, got ${String(err)}`);
      assert.equal(err.code, 'replay_queue_full');
      assert.equal(err.status, 503);
      assert.match(err.headers['Retry-After'] ?? '', /^[1-5]$/);
      return true;
    });
    assert.equal(gate.refused, 1);
    // A replay already under way that gave its slot back while draining is never refused.
    const admitted = gate.acquire(undefined, true);
    assert.equal(gate.waiting, 3);
    held!();
    (await a)!();
    (await b)!();
    (await admitted)!();
    assert.equal(gate.active, 0);
    assert.equal(gate.waiting, 0);
  });

  test('a waiter whose client leaves resolves undefined, frees its place, and is skipped', async () => {
    const gate = new ReplayGate(1, 2);
    const held = await gate.acquire();
    const leaving = new FakeSocket();
    const staying = new FakeSocket();
    const left = gate.acquire(leaving);
    const stays = gate.acquire(staying);
    assert.equal(gate.waiting, 2);
    leaving.close();
    assert.equal(await left, undefined);
    assert.equal(gate.waiting, 1);
    assert.equal(leaving.listenerCount('close'), 0);
    // Its place is free again for a newcomer.
    const third = gate.acquire(new FakeSocket());
    assert.equal(gate.waiting, 2);
    held!();
    const r = await stays;
    assert.ok(r, 'the staying waiter was admitted with a release');
    assert.equal(gate.active, 1);
    // The granted waiter stops watching its socket: a later close is not a departure.
    assert.equal(staying.listenerCount('close'), 0);
    r();
    (await third)!();
    assert.equal(gate.active, 0);
  });

  test('a client already gone never takes a slot', async () => {
    const gate = new ReplayGate(1, 2);
    const gone = new FakeSocket();
    gone.destroyed = true;
    assert.equal(await gate.acquire(gone), undefined);
    assert.equal(gate.active, 0);
  });

  test('thousands of departures while every slot is busy leave the queue bounded and in order', async () => {
    const gate = new ReplayGate(1, 10_000);
    const held = await gate.acquire();
    const granted: number[] = [];
    const sockets: FakeSocket[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) {
      const s = new FakeSocket();
      sockets.push(s);
      pending.push(
        gate.acquire(s).then((r) => {
          if (r === undefined) return;
          granted.push(i);
          r();
        }),
      );
    }
    // Every waiter but each hundredth leaves.
    sockets.forEach((s, i) => {
      if (i % 100 !== 0) s.close();
    });
    assert.equal(gate.waiting, 50);
    held!();
    await Promise.all(pending);
    assert.deepEqual(
      granted,
      Array.from({ length: 50 }, (_, i) => i * 100),
    );
    assert.equal(gate.active, 0);
    assert.equal(gate.waiting, 0);
  });
});
