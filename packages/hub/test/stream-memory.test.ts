/**
 * Issue 5, memory per idle subscriber: what a stream keeps is small and shared where it can be.
 * One heartbeat timer for every stream (not one per stream), compiled selectors shared between
 * subscribers, coalesced writes that keep only a count per subscriber, and an idle subscriber's
 * heap measured against a bound, with the clients in another process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileSelector } from '@tidings/hub';
import { type HeartbeatStream, Heartbeats } from '../src/stream/heartbeats.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { waitUntil } from './support/quiet-watch.js';
import { SseReader } from './support/sse-reader.js';

const TOPIC = 'https://example.com/memory';

async function withHub(options: Parameters<typeof startHub>[0], fn: (fx: HubFixture) => Promise<void>) {
  const fx = await startHub(options);
  try {
    await fn(fx);
  } finally {
    await fx.close();
  }
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A node script that opens `n` raw subscribers and prints `ready` once each got its response head. */
const CLIENTS = `
const net = require('node:net');
const [port, n, path] = process.argv.slice(1);
const request = 'GET ' + path + ' HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAccept: text/event-stream\\r\\n\\r\\n';
let heads = 0, started = 0, inflight = 0;
const next = () => {
  while (inflight < 100 && started < Number(n)) {
    started++; inflight++;
    let seen = false;
    const s = net.connect(Number(port), '127.0.0.1', () => s.write(request));
    s.on('data', () => { if (!seen) { seen = true; inflight--; if (++heads === Number(n)) console.log('ready'); else next(); } });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
  }
};
next();
process.stdin.on('data', () => process.exit(0));
`;

describe('stream memory', () => {
  test('one heartbeat timer for 300 streams, and every stream gets its heartbeats', async () => {
    await withHub({ heartbeatMs: 100, subscriptions: false }, async (fx) => {
      const first = await SseReader.open(`${fx.url}?match=*`);
      const base = timers();
      const readers = await Promise.all(
        Array.from({ length: 299 }, () => SseReader.open(`${fx.url}?match=*`)),
      );
      readers.push(first);
      try {
        assert.ok(timers() - base <= 2, `${timers() - base} more timers for 299 more streams`);
        // Waited for, not slept for: every stream gets two heartbeats (a busy machine is late, a
        // stream left out of the shared timer never gets them).
        await waitUntil(
          () => readers.every((r) => r.comments.length >= 2),
          'two heartbeats on every stream',
          30_000,
        );
        assert.deepEqual(
          readers.flatMap((r) => r.events),
          [],
        );
      } finally {
        for (const r of readers) r.close();
      }
    });
  });

  test('heartbeats: never before a period of silence, at most a tenth early after one, spread apart', (t) => {
    // The scheduler's one setInterval is mocked and moved by the test a millisecond at a time
    // (node:test MockTimers), and times are that clock's: a busy machine can neither stretch a
    // gap nor let a tick pass between two writes of the busy stream.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const PERIOD = 60;
    const heartbeats = new Heartbeats(PERIOD);
    let now = 0;
    const beats: number[][] = [];
    const streams = Array.from({ length: 40 }, (_, i): HeartbeatStream => {
      beats.push([]);
      return {
        beatIndex: -1,
        beatTick: 0,
        heartbeat() {
          beats[i]!.push(now);
        },
      };
    });
    for (const s of streams) heartbeats.add(s);
    // Stream 0 writes every 20 ms until BUSY: real traffic pushes its heartbeat back.
    const BUSY = 300;
    while (now < 1000) {
      now++;
      if (now <= BUSY && now % 20 === 0) streams[0]!.beatTick = heartbeats.tick;
      t.mock.timers.tick(1);
    }
    for (const s of streams) heartbeats.remove(s);
    assert.equal(heartbeats.size, 0);
    const quiet = beats.slice(1);
    for (const b of quiet) {
      assert.ok(b.length >= 14, `${b.length} heartbeats at ${PERIOD} ms in 1 s`);
      assert.ok(b[0]! >= PERIOD && b[0]! <= PERIOD * 1.1, `first heartbeat after ${b[0]} ms`);
      for (let k = 1; k < b.length; k++) {
        const gap = b[k]! - b[k - 1]!;
        assert.ok(gap >= PERIOD * 0.9 && gap <= PERIOD * 1.1, `gap ${gap} ms`);
      }
    }
    const busy = beats[0]!;
    assert.ok(busy.length > 0, 'the busy stream beats once it is quiet');
    assert.ok(
      busy[0]! >= BUSY + PERIOD && busy[0]! <= BUSY + PERIOD * 1.1,
      `no heartbeat while the stream wrote: the first came ${busy[0]! - BUSY} ms after its last write`,
    );
    // Opened together, they do not all beat at the same instants forever.
    const lastBeats = new Set(quiet.map((b) => b.at(-1)!));
    assert.ok(lastBeats.size > 1, 'heartbeats spread apart');
  });

  test('subscribers to the same selector share one compiled selector; invalid ones throw every time', () => {
    const limits = {
      maxSelectorLength: 100,
      maxSelectorProgramSize: 16_384,
      maxSelectorVariableParts: 32,
      hubUrl: 'https://hub.example/.well-known/mercure',
    };
    assert.equal(compileSelector('exact', TOPIC, limits), compileSelector('exact', TOPIC, limits));
    assert.equal(
      compileSelector('urlpattern', '/books/:id', limits),
      compileSelector('urlpattern', '/books/:id', limits),
    );
    assert.notEqual(compileSelector('exact', TOPIC, limits), compileSelector('uritemplate', TOPIC, limits));
    const other = { ...limits, hubUrl: 'https://other.example/.well-known/mercure' };
    assert.notEqual(
      compileSelector('urlpattern', '/books/:id', limits),
      compileSelector('urlpattern', '/books/:id', other),
    );
    assert.ok(Object.isFrozen(compileSelector('exact', TOPIC, limits)), 'compiled selectors are frozen');
    for (let i = 0; i < 2; i++) {
      assert.throws(() => compileSelector('exact', 'x'.repeat(101), limits), { code: 'invalid_selector' });
      assert.throws(() => compileSelector('exact', '', limits), { code: 'invalid_selector' });
    }
    // Bounded: after many one-off selectors, the first is compiled afresh.
    const first = compileSelector('exact', 'https://example.com/first', limits);
    for (let i = 0; i < 1100; i++) compileSelector('exact', `https://example.com/one-off/${i}`, limits);
    assert.notEqual(compileSelector('exact', 'https://example.com/first', limits), first);
  });

  test('subscribers on overlapping selectors get exactly their updates, in order, from coalesced turns', async () => {
    await withHub({ subscriptions: false }, async (fx) => {
      const a = `${TOPIC}/a`;
      const b = `${TOPIC}/b`;
      const q = (...topics: string[]) => topics.map((t) => `match=${encodeURIComponent(t)}`).join('&');
      const readers = {
        a: await SseReader.open(`${fx.url}?${q(a)}`),
        b: await SseReader.open(`${fx.url}?${q(b)}`),
        ab: await SseReader.open(`${fx.url}?${q(a, b)}`),
        all: await SseReader.open(`${fx.url}?match=*`),
      };
      try {
        const plan = Array.from({ length: 80 }, (_, i) => [[a], [b], [a, b], [`${TOPIC}/c`]][i % 4]!);
        // Published without waiting: many updates are dispatched in one event-loop turn.
        await Promise.all(plan.map((topics, i) => fx.hub.publish({ topics, data: `u${i}`, id: `u${i}` })));
        const want = (pick: (topics: string[]) => boolean) =>
          plan.flatMap((topics, i) => (pick(topics) ? [`u${i}`] : []));
        const expected = {
          a: want((t) => t.includes(a)),
          b: want((t) => t.includes(b)),
          ab: want((t) => t.includes(a) || t.includes(b)),
          all: want(() => true),
        };
        for (const [name, reader] of Object.entries(readers)) {
          const got = await reader.waitFor(expected[name as keyof typeof expected].length);
          assert.deepEqual(
            got.map((e) => e.data),
            expected[name as keyof typeof expected],
            name,
          );
        }
      } finally {
        for (const r of Object.values(readers)) r.close();
      }
    });
  });

  test('an idle subscriber costs well under 3 KB of heap (node:http alone held about 4.5 KB)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(20);
      }
      return process.memoryUsage().heapUsed;
    };
    const N = 2000;
    await withHub({ heartbeatMs: 15_000, limits: { maxSubscribersPerClient: N } }, async (fx) => {
      const path = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;
      // Warm-up: code and the hub's shared state, so the measure is per subscriber.
      const warm = spawn(process.execPath, ['-e', CLIENTS, String(fx.port), '20', path]);
      await once(warm.stdout, 'data');
      warm.kill();
      await once(warm, 'exit');
      while (fx.hub.subscriberCount > 0) await sleep(10);
      const before = await collect();
      const clients = spawn(process.execPath, ['-e', CLIENTS, String(fx.port), String(N), path], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      try {
        await once(clients.stdout, 'data');
        while (fx.hub.subscriberCount < N) await sleep(10);
        const perSubscriber = ((await collect()) - before) / N;
        assert.ok(perSubscriber < 3 * 1024, `${perSubscriber.toFixed(0)} bytes of heap per idle subscriber`);
      } finally {
        clients.kill();
        await once(clients, 'exit');
      }
    });
  });
});
