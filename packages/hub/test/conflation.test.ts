/**
 * One subscriber's conflation (broker/conflation.ts), ticked by hand: what it writes, in which
 * order, and its bound. A random sequence of offers and ticks is checked against a reference
 * written here as plainly as possible (an array scanned and spliced), not against the class's
 * own structure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Conflation, RateGroup } from '../src/broker/conflation.js';
import type { Update } from '../src/model/update.js';
import type { CloseReason, Sink } from '../src/stream/sink.js';

/** A sink that records the ids written (the chunk here is the id) and its close reason. */
function recordingSink(): { sink: Sink; written: string[]; closedWith: () => CloseReason | undefined } {
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
  return { sink: sink as unknown as Sink, written, closedWith: () => reason };
}

function update(id: string, topic: string): Update {
  return { id, topics: [topic], chunk: Buffer.from(id) } as unknown as Update;
}

/** A group whose timer never fires here: the test ticks the conflation itself. */
function conflation(sink: Sink, maxEvents = 100): Conflation {
  const group = new RateGroup(60_000);
  const c = new Conflation(group, sink, maxEvents);
  return c;
}

function drain(c: Conflation): void {
  while (c.tick()) {}
}

describe('Conflation', () => {
  it('writes the oldest waiting update per tick; a replaced one moves behind the others', () => {
    const { sink, written } = recordingSink();
    const c = conflation(sink);
    c.offer(update('1', 'a'));
    c.offer(update('2', 'b'));
    c.offer(update('3', 'a'));
    assert.equal(c.waiting, 2, 'one waiting update per topic');
    assert.equal(c.tick(), true, 'one still waits after the first tick');
    assert.deepEqual(written, ['2'], 'b first: a was replaced after it');
    assert.equal(c.tick(), false, 'nothing waits after the second tick');
    assert.deepEqual(written, ['2', '3'], 'then the latest a');
  });

  it('keeps only the latest of a topic offered again and again', () => {
    const { sink, written } = recordingSink();
    const c = conflation(sink);
    for (let i = 0; i < 50; i++) c.offer(update(String(i), 'only'));
    drain(c);
    assert.deepEqual(written, ['49'], 'one write, the latest');
  });

  it('skips a blocked sink and writes the latest once it drains', () => {
    const { sink, written } = recordingSink();
    const c = conflation(sink);
    c.offer(update('1', 'a'));
    (sink as { blocked: boolean }).blocked = true;
    assert.equal(c.tick(), true, 'still waiting while blocked');
    c.offer(update('2', 'a'));
    assert.deepEqual(written, [], 'nothing written while blocked');
    (sink as { blocked: boolean }).blocked = false;
    drain(c);
    assert.deepEqual(written, ['2'], 'the latest, once');
  });

  it('closes the sink as a slow consumer past maxEvents waiting topics, not on a replacement', () => {
    const { sink, closedWith } = recordingSink();
    const c = conflation(sink, 2);
    assert.equal(c.offer(update('1', 'a')), true, 'first topic kept');
    assert.equal(c.offer(update('2', 'b')), true, 'second topic kept');
    assert.equal(c.offer(update('3', 'a')), true, 'a replacement needs no room');
    assert.equal(closedWith(), undefined, 'still open at the bound');
    assert.equal(c.offer(update('4', 'c')), false, 'a third topic is refused');
    assert.equal(closedWith(), 'slow_consumer', 'as a slow consumer');
    assert.equal(c.offer(update('5', 'a')), false, 'a closed sink takes nothing');
    assert.equal(c.tick(), false, 'and its tick writes nothing');
  });

  it('matches a plain reference at every interleaving of offers and ticks', () => {
    const step = fc.oneof(
      fc.record({ offer: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ tick: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { sink, written } = recordingSink();
        const c = conflation(sink);
        // The reference: waiting updates as [topic, id] in the order their latest arrived.
        const waiting: [string, string][] = [];
        const expected: string[] = [];
        let n = 0;
        for (const s of steps) {
          if ('offer' in s) {
            const id = String(++n).padStart(3, '0');
            const at = waiting.findIndex(([t]) => t === s.offer);
            if (at >= 0) waiting.splice(at, 1);
            waiting.push([s.offer, id]);
            c.offer(update(id, s.offer));
          } else {
            const first = waiting.shift();
            if (first !== undefined) expected.push(first[1]);
            c.tick();
          }
          assert.equal(c.waiting, waiting.length, 'as many waiting as the reference');
        }
        assert.deepEqual(written, expected, `writes after ${JSON.stringify(steps)}`);
        const sorted = [...written].sort();
        assert.deepEqual(written, sorted, 'written in history order');
      }),
      { numRuns: 1000 },
    );
  });
});
