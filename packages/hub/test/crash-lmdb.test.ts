import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@tidings/test-support';
import { type CliHub, startCli } from './support/cli-process.js';
import { isConnectionError } from './support/connection-error.js';
import { SseReader } from './support/sse-reader.js';

/**
 * kill -9 a hub on the embedded store while publishers are busy, restart it on the same data
 * directory: every publish answered 200 is replayed exactly once and in order to a client
 * resuming from any earlier id. Runs the real CLI (the compiled bin: `tsc -b` first, as npm test does).
 */

const TOPIC = 'https://example.com/crash';

interface Publisher {
  /** Ids answered 200, in the order this publisher sent them (one request at a time). */
  readonly acked: string[];
  /** Ids whose request failed without an answer (the hub died): they may or may not be stored. */
  readonly unknown: string[];
  readonly rejected: { id: string; status: number }[];
}

/** `count` publishers, each sending one publish at a time until `stop()`. */
function startPublishers(url: string, count: number, prefix: string) {
  let running = true;
  const publishers: Publisher[] = Array.from({ length: count }, () => ({
    acked: [],
    unknown: [],
    rejected: [],
  }));
  const loops = publishers.map(async (p, k) => {
    for (let n = 0; running; n++) {
      const id = `urn:crash:${prefix}:${k}:${n}`;
      let answer: { status: number; body: string };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ topic: TOPIC, id, data: `payload ${id}` }).toString(),
        });
        answer = { status: res.status, body: await res.text() };
      } catch (err) {
        // Only the connection failing is "cut by the kill"; anything else fails the test.
        if (!isConnectionError(err)) throw err;
        p.unknown.push(id);
        await sleep(20); // the hub is down: do not spin
        continue;
      }
      if (answer.status === 200) {
        assert.equal(answer.body, id, 'a publish answered 200 acknowledges its own id');
        p.acked.push(id);
      } else {
        p.rejected.push({ id, status: answer.status });
      }
    }
  });
  return {
    publishers,
    acked: () => publishers.reduce((n, p) => n + p.acked.length, 0),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function publishOne(url: string, id: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ topic: TOPIC, id, data: 'sentinel' }).toString(),
  });
  assert.equal(res.status, 200, await res.text());
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Subscribes (resuming from `lastEventId` if given) and reads until `sentinel` arrives. */
async function readUntil(
  url: string,
  sentinel: string,
  lastEventId?: string,
): Promise<{ ids: string[]; resumedFrom: string | null }> {
  const reader = await SseReader.open(
    `${url}?match=${encodeURIComponent(TOPIC)}`,
    lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
  );
  try {
    assert.equal(reader.response.status, 200);
    await until(`sentinel ${sentinel}`, () => reader.events.some((e) => e.id === sentinel));
    const ids = reader.events.map((e) => e.id!);
    return {
      ids: ids.slice(0, ids.indexOf(sentinel)),
      resumedFrom: reader.response.headers.get('Mercure-Last-Event-ID'),
    };
  } finally {
    reader.close();
  }
}

function assertNoDuplicates(ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    assert.ok(!seen.has(id), `${id} delivered twice`);
    seen.add(id);
  }
}

describe('crash: kill -9 on the embedded store', () => {
  it('replays every acknowledged publish exactly once and in order after kill -9 and restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidings-crash-'));
    const port = await freePort();
    const args = ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dir, '--publish-rate', '0'];
    args.push('--history-size', '1000000', '--heartbeat', '0');
    let hub: CliHub | undefined = await startCli(args);
    const url = hub.url;
    const all: Publisher[] = [];
    const liveSeen: string[] = [];
    let liveLast: string | undefined;
    try {
      for (let cycle = 0; cycle < 2; cycle++) {
        // A subscriber following live updates until the crash.
        const live = await SseReader.open(
          `${url}?match=${encodeURIComponent(TOPIC)}`,
          liveLast === undefined ? {} : { 'Last-Event-ID': liveLast },
        );
        const load = startPublishers(url, 8, `c${cycle}`);
        all.push(...load.publishers);
        await until('publishers busy', () => load.acked() >= 300);
        await hub.stop('SIGKILL');
        hub = undefined;
        await load.stop();
        const end = await live.endedWithin();
        assert.equal(end.kind, 'reset', 'a stream of a hub killed with -9 is cut, not ended cleanly');
        liveSeen.push(...live.events.map((e) => e.id!));
        liveLast = liveSeen[liveSeen.length - 1];
        assert.ok(
          load.publishers.some((p) => p.unknown.length > 0),
          'some publishes were cut by the kill',
        );
        hub = await startCli(args);
      }

      const sentinel = `urn:crash:sentinel:${Date.now()}`;
      await publishOne(url, sentinel);
      const full = (await readUntil(url, sentinel, 'earliest')).ids;
      assertNoDuplicates(full);
      const inHistory = new Set(full);
      const acked = all.flatMap((p) => p.acked);
      const lost = acked.filter((id) => !inHistory.has(id));
      assert.deepEqual(lost, [], `acknowledged but lost after kill -9 (${lost.length} of ${acked.length})`);
      // Nothing in history that nobody published, and nothing rejected.
      const attempted = new Set(all.flatMap((p) => [...p.acked, ...p.unknown]));
      assert.ok(
        full.every((id) => attempted.has(id)),
        'history holds only published ids',
      );
      assert.deepEqual(
        all.flatMap((p) => p.rejected),
        [],
      );
      // Each publisher's updates are in history in the order it sent them.
      for (const p of all) {
        const mine = new Set([...p.acked, ...p.unknown]);
        const order = full.filter((id) => mine.has(id)).map((id) => Number(id.split(':').pop()));
        assert.deepEqual(
          order,
          [...order].sort((a, b) => a - b),
        );
      }
      // What the live subscriber got before each crash was history, in history order.
      assertNoDuplicates(liveSeen);
      assert.deepEqual(liveSeen, full.slice(0, liveSeen.length));

      // Resuming from any earlier id: exactly the rest of history, once each, in order.
      const points = [
        acked[0]!,
        acked[Math.floor(acked.length / 3)]!,
        acked[Math.floor((2 * acked.length) / 3)]!,
        full[full.length - 1]!,
        liveLast!,
      ];
      for (const from of points) {
        const resumed = await readUntil(url, sentinel, from);
        assert.equal(resumed.resumedFrom, from, 'the hub knows the id');
        assert.deepEqual(resumed.ids, full.slice(full.indexOf(from) + 1), `resume from ${from}`);
      }
    } finally {
      await hub?.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
