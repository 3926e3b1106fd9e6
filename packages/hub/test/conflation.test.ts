/**
 * Conflation (broker/conflation.ts), ticked by hand: what it writes, in which order, and its
 * bound, for one member and for members sharing it. Random sequences of offers, ticks, blocked
 * sinks, joins and leaves are checked against a reference written here as plainly as possible
 * (one array per member, scanned and spliced), not against the class's own structure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Conflation, type ConflationMember } from '../src/broker/conflation.js';
import { type IntervalTimers, RateGroup } from '../src/broker/rate-groups.js';
import type { Update } from '../src/model/update.js';
import type { CloseReason, Sink } from '../src/stream/sink.js';

interface Recording {
  sink: Sink & { blocked: boolean };
  written: string[];
  closedWith: () => CloseReason | undefined;
}

/** A sink that records the ids written (the chunk here is the id) and its close reason. */
function recordingSink(): Recording {
  const written: string[] = [];
  let reason: CloseReason | undefined;
  const sink = {
    closed: false,
    blocked: false,
    framing: { event: (u: Update) => u.chunk, sharesUpdateChunk: true },
    write(bytes: Buffer) {
      written.push(bytes.toString());
      return true;
    },
    close(r: CloseReason) {
      reason ??= r;
      sink.closed = true;
    },
  };
  return { sink: sink as unknown as Sink & { blocked: boolean }, written, closedWith: () => reason };
}

function member(rec: Recording): ConflationMember {
  return { sink: rec.sink, conflationCursor: 0 };
}

function update(id: string, topic: string): Update {
  return { id, topics: [topic], chunk: Buffer.from(id) } as unknown as Update;
}

/** A conflation whose group's timer never fires here (the test ticks it), with one member. */
function solo(rec: Recording, maxEvents = 100): Conflation {
  const c = new Conflation(new RateGroup(60_000), maxEvents);
  c.join(member(rec));
  return c;
}

function drain(c: Conflation): void {
  while (c.tick()) {}
}

describe('Conflation', () => {
  it('writes the oldest waiting update per tick; a replaced one moves behind the others', () => {
    const rec = recordingSink();
    const { written } = rec;
    const c = solo(rec);
    c.deliver(update('1', 'a'));
    c.deliver(update('2', 'b'));
    c.deliver(update('3', 'a'));
    assert.equal(c.waiting, 2, 'one waiting update per topic');
    assert.equal(c.tick(), true, 'one still waits after the first tick');
    assert.deepEqual(written, ['2'], 'b first: a was replaced after it');
    assert.equal(c.tick(), false, 'nothing waits after the second tick');
    assert.deepEqual(written, ['2', '3'], 'then the latest a');
  });

  it('keeps only the latest of a topic offered again and again', () => {
    const rec = recordingSink();
    const { written } = rec;
    const c = solo(rec);
    for (let i = 0; i < 50; i++) c.deliver(update(String(i), 'only'));
    drain(c);
    assert.deepEqual(written, ['49'], 'one write, the latest');
  });

  it('skips a blocked sink and writes the latest once it drains', () => {
    const rec = recordingSink();
    const c = solo(rec);
    c.deliver(update('1', 'a'));
    rec.sink.blocked = true;
    assert.equal(c.tick(), true, 'still waiting while blocked');
    c.deliver(update('2', 'a'));
    assert.deepEqual(rec.written, [], 'nothing written while blocked');
    rec.sink.blocked = false;
    drain(c);
    assert.deepEqual(rec.written, ['2'], 'the latest, once');
  });

  it('closes the sink as a slow consumer past maxEvents waiting topics, not on a replacement', () => {
    const rec = recordingSink();
    const c = solo(rec, 2);
    assert.equal(c.deliver(update('1', 'a')), 1, 'first topic kept');
    assert.equal(c.deliver(update('2', 'b')), 1, 'second topic kept');
    assert.equal(c.deliver(update('3', 'a')), 1, 'a replacement needs no room');
    assert.equal(rec.closedWith(), undefined, 'still open at the bound');
    assert.equal(c.deliver(update('4', 'c')), 0, 'a third topic is refused');
    assert.equal(rec.closedWith(), 'slow_consumer', 'as a slow consumer');
    assert.equal(c.tick(), false, 'and its tick writes nothing');
  });

  it('shared: closes only the members furthest behind at the bound, and keeps the others going', () => {
    const ahead = recordingSink();
    const behind = recordingSink();
    const c = new Conflation(new RateGroup(60_000), 2);
    c.join(member(ahead));
    c.join(member(behind));
    c.deliver(update('1', 'a'));
    c.deliver(update('2', 'b'));
    behind.sink.blocked = true;
    c.tick();
    assert.deepEqual(ahead.written, ['1'], 'the reading member got a');
    assert.notEqual(c.deliver(update('3', 'c')), 0, 'c fits once the blocked member is closed');
    assert.equal(behind.closedWith(), 'slow_consumer', 'the blocked member had 2 waiting');
    assert.equal(ahead.closedWith(), undefined, 'the reading member had 1 waiting');
    drain(c);
    assert.deepEqual(ahead.written, ['1', '2', '3'], 'and gets the rest');
  });

  it('tells the first join and the last leave, and forgets its entries then', () => {
    let emptied = 0;
    const c = new Conflation(new RateGroup(60_000), 10, undefined, () => emptied++);
    const one = member(recordingSink());
    const two = member(recordingSink());
    assert.equal(c.join(one), true, 'first member');
    assert.equal(c.join(two), false, 'second member');
    c.deliver(update('1', 'a'));
    assert.equal(c.leave(one), false, 'one left, one stays');
    assert.equal(c.leave(two), true, 'the last one left');
    assert.equal(emptied, 1, 'told once');
    assert.equal(c.waiting, 0, 'nothing kept for nobody');
    assert.equal(c.deliver(update('2', 'a')), 0, 'no member takes it');
  });

  it('gives each member of a shared one what a conflation of its own would, at every interleaving', () => {
    const MEMBERS = 3;
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.record({ offer: fc.constantFrom('a', 'b', 'c', 'd') }) },
      { weight: 3, arbitrary: fc.record({ tick: fc.constant(true) }) },
      { weight: 1, arbitrary: fc.record({ block: fc.nat(MEMBERS - 1) }) },
      { weight: 1, arbitrary: fc.record({ unblock: fc.nat(MEMBERS - 1) }) },
      { weight: 1, arbitrary: fc.record({ join: fc.nat(MEMBERS - 1) }) },
      { weight: 1, arbitrary: fc.record({ leave: fc.nat(MEMBERS - 1) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const c = new Conflation(new RateGroup(60_000), 1000);
        const recs = Array.from({ length: MEMBERS }, recordingSink);
        const members = recs.map(member);
        // The reference, per member: null when not a member, else its waiting [topic, id] in
        // the order their latest arrived; and what it must have been written.
        const waiting: ([string, string][] | null)[] = recs.map(() => null);
        const expected: string[][] = recs.map(() => []);
        let n = 0;
        for (const s of steps) {
          if ('offer' in s) {
            const id = String(++n).padStart(3, '0');
            for (const w of waiting) {
              if (w === null) continue;
              const at = w.findIndex(([t]) => t === s.offer);
              if (at >= 0) w.splice(at, 1);
              w.push([s.offer, id]);
            }
            c.deliver(update(id, s.offer));
          } else if ('tick' in s) {
            waiting.forEach((w, i) => {
              if (w === null || recs[i]!.sink.blocked) return;
              const first = w.shift();
              if (first !== undefined) expected[i]!.push(first[1]);
            });
            c.tick();
          } else if ('block' in s) recs[s.block]!.sink.blocked = true;
          else if ('unblock' in s) recs[s.unblock]!.sink.blocked = false;
          else if ('join' in s) {
            if (waiting[s.join] !== null) continue;
            waiting[s.join] = [];
            c.join(members[s.join]!);
          } else {
            if (waiting[s.leave] === null) continue;
            waiting[s.leave] = null;
            c.leave(members[s.leave]!);
          }
        }
        recs.forEach((rec, i) => {
          assert.deepEqual(rec.written, expected[i], `member ${i} after ${JSON.stringify(steps)}`);
          assert.deepEqual(rec.written, [...rec.written].sort(), `member ${i} in history order`);
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('RateGroup', () => {
  /** Interval timers on a hand-driven clock: `advance(ms)` fires what falls due, in order. */
  function manualTimers() {
    let now = 0;
    let next = 0;
    const running = new Map<number, { tick: () => void; ms: number; due: number }>();
    const timers: IntervalTimers = {
      start: (tick, ms) => {
        running.set(++next, { tick, ms, due: now + ms });
        return next;
      },
      stop: (handle) => {
        running.delete(handle as number);
      },
    };
    const advance = (ms: number) => {
      const until = now + ms;
      for (;;) {
        let first: [number, { tick: () => void; ms: number; due: number }] | undefined;
        for (const e of running)
          if (e[1].due <= until && (first === undefined || e[1].due < first[1].due)) first = e;
        if (first === undefined) break;
        now = first[1].due;
        first[1].due += first[1].ms;
        first[1].tick();
      }
      now = until;
    };
    return { timers, advance, now: () => now, running: () => running.size };
  }

  it('keeps its ticks in phase while updates keep coming, and stops after a tick with nothing due', () => {
    const clock = manualTimers();
    const group = new RateGroup(100, clock.timers);
    const ticks: number[] = [];
    // A conflation that has written everything at each tick (the ticker case: one topic).
    const c = {
      scheduled: false,
      tick: () => {
        ticks.push(clock.now());
        return false;
      },
    } as unknown as Conflation;
    group.schedule(c);
    clock.advance(150);
    group.schedule(c); // the next publish, halfway to the next tick
    clock.advance(50);
    assert.deepEqual(
      ticks,
      [100, 200],
      'the second tick comes one interval after the first, not after the publish',
    );
    clock.advance(100);
    assert.equal(group.idle, true, 'a tick with nothing due stops the timer');
    assert.equal(clock.running(), 0, 'and no timer runs');
    group.schedule(c);
    assert.equal(group.idle, false, 'the next publish starts it again');
    clock.advance(100);
    assert.deepEqual(ticks, [100, 200, 400], 'one interval after that publish');
  });
});
