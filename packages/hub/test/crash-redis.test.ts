import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RedisServer, startRedisServer } from '@tidings/test-support';
import { type CliHub, startCli } from './support/cli-process.js';
import { isConnectionError } from './support/connection-error.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Failover on Redis, with the real CLI (`tidings serve --transport redis://...`, the compiled bin:
 * `tsc -b` first, as npm test does) and a real redis-server (AOF, appendfsync always):
 * (b) two nodes, one killed with -9: its subscribers reconnect to the other and lose nothing;
 * (c) Redis restarted under load: publishes during the outage get 503, every 200 is kept and
 *     delivered, in the same order on every node.
 */

const TOPIC = 'https://example.com/cluster';

let redis: RedisServer;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.dispose();
});

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function startNodes(count: number): Promise<CliHub[]> {
  // --transport takes the URL only (the default stream key): each test starts from an empty database.
  await redis.command('FLUSHALL');
  const args = [
    '--transport',
    redis.url,
    '--publish-rate',
    '0',
    '--heartbeat',
    '0',
    '--history-size',
    '1000000',
  ];
  return Promise.all(Array.from({ length: count }, () => startCli(args)));
}

/** cli-process's stop() waits for an exit that already happened when the child was killed by a signal. */
async function kill(hub: CliHub): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  await hub.stop('SIGKILL');
}

async function publish(url: string, id: string): Promise<number | 'no-answer'> {
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
    return 'no-answer';
  }
  if (answer.status === 200) assert.equal(answer.body, id, 'a publish answered 200 acknowledges its own id');
  return answer.status;
}

interface Load {
  readonly acked: string[];
  readonly statuses: Map<number | 'no-answer', number>;
  stop(): Promise<void>;
}

/** Publishers spread over `urls()` (round robin, like a load balancer), one request at a time each. */
function startLoad(urls: () => string[], publishers: number, prefix: string): Load {
  let running = true;
  const acked: string[] = [];
  const statuses = new Map<number | 'no-answer', number>();
  let n = 0;
  const loops = Array.from({ length: publishers }, async (_, k) => {
    while (running) {
      const targets = urls();
      const id = `urn:${prefix}:${k}:${n++}`;
      const status = await publish(targets[n % targets.length]!, id);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) acked.push(id);
      else await sleep(10);
    }
  });
  return {
    acked,
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

function subscribe(hub: CliHub, lastEventId?: string): Promise<SseReader> {
  return SseReader.open(
    `${hub.url}?match=${encodeURIComponent(TOPIC)}`,
    lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
  );
}

function idsOf(reader: SseReader): string[] {
  return reader.events.map((e) => e.id!);
}

/** The whole history, read through a node (resume from `earliest`), up to the sentinel. */
async function history(hub: CliHub, sentinel: string): Promise<string[]> {
  const reader = await subscribe(hub, 'earliest');
  try {
    await until('history read', () => idsOf(reader).includes(sentinel));
    const ids = idsOf(reader);
    return ids.slice(0, ids.indexOf(sentinel));
  } finally {
    reader.close();
  }
}

function assertNoDuplicates(ids: readonly string[], who: string): void {
  assert.equal(new Set(ids).size, ids.length, `${who}: an update was delivered twice`);
}

describe('crash: Redis cluster', () => {
  it('(b) kill -9 one of two nodes: its subscribers resume on the other with nothing lost', async () => {
    const [a, b] = (await startNodes(2)) as [CliHub, CliHub];
    let alive: CliHub[] = [a, b];
    try {
      const onA = await Promise.all([subscribe(a), subscribe(a), subscribe(a)]);
      const onB = await subscribe(b);
      const load = startLoad(() => alive.map((h) => h.url), 6, 'failover');
      await until('load on both nodes', () => load.acked.length >= 300);
      await kill(a);
      alive = [b];
      // Each subscriber of A reconnects to B with the last id it received.
      const resumed: SseReader[] = [];
      for (const s of onA) {
        const end = await s.endedWithin();
        assert.equal(end.kind, 'reset', 'a stream of a hub killed with -9 is cut, not ended cleanly');
        const seen = idsOf(s);
        resumed.push(await subscribe(b, seen[seen.length - 1]));
      }
      const ackedAtKill = load.acked.length;
      await until('more load on B', () => load.acked.length >= ackedAtKill + 200);
      await load.stop();
      const sentinel = `urn:failover:sentinel:${Date.now()}`;
      assert.equal(await publish(b.url, sentinel), 200);

      const full = await history(b, sentinel);
      assertNoDuplicates(full, 'history');
      const inHistory = new Set(full);
      assert.deepEqual(
        load.acked.filter((id) => !inHistory.has(id)),
        [],
        'every 200 is in history',
      );
      await until('B subscriber got everything', () => idsOf(onB).includes(sentinel));
      assert.deepEqual(idsOf(onB), [...full, sentinel], 'a subscriber of B sees history order');
      for (const [i, s] of onA.entries()) {
        const r = resumed[i]!;
        await until(`resumed subscriber ${i}`, () => idsOf(r).includes(sentinel));
        assert.equal(r.response.headers.get('Mercure-Last-Event-ID'), idsOf(s).at(-1));
        const got = [...idsOf(s), ...idsOf(r)];
        assertNoDuplicates(got, `subscriber ${i}`);
        assert.deepEqual(got, [...full, sentinel], `subscriber ${i} of the killed node: no gap, same order`);
        r.close();
      }
      onB.close();
    } finally {
      await Promise.all([kill(a), kill(b)]);
    }
  });

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`(c) Redis restarted (${how}) under load: 503 meanwhile, every 200 kept and delivered in order`, async () => {
      const nodes = (await startNodes(2)) as [CliHub, CliHub];
      try {
        const subscribers = await Promise.all(nodes.flatMap((n) => [subscribe(n), subscribe(n)]));
        const load = startLoad(() => nodes.map((h) => h.url), 6, `restart-${how}`);
        await until('load', () => load.acked.length >= 300);
        if (how === 'SIGTERM') await redis.stop();
        else await redis.kill();
        // While Redis is down, /readyz says so and publishes are refused.
        await until('not ready', async () => {
          const res = await fetch(nodes[0].url.replace('/.well-known/mercure', '/readyz'));
          await res.text();
          return res.status === 503;
        });
        const beforeOutage = load.statuses.get(503) ?? 0;
        await until('503 during the outage', () => (load.statuses.get(503) ?? 0) > beforeOutage);
        await sleep(300);
        await redis.start();
        for (const n of nodes) {
          await until('ready again', async () => {
            const res = await fetch(n.url.replace('/.well-known/mercure', '/readyz'));
            await res.text();
            return res.status === 200;
          });
        }
        const ackedAtRestart = load.acked.length;
        await until('publishing again', () => load.acked.length >= ackedAtRestart + 300);
        await load.stop();
        const sentinel = `urn:restart:sentinel:${Date.now()}`;
        assert.equal(await publish(nodes[1].url, sentinel), 200);

        assert.deepEqual(
          [...load.statuses.keys()].filter((s) => s !== 200 && s !== 503),
          [],
          'only 200 or 503',
        );
        const full = await history(nodes[0], sentinel);
        assertNoDuplicates(full, 'history');
        const inHistory = new Set(full);
        assert.deepEqual(
          load.acked.filter((id) => !inHistory.has(id)),
          [],
          'every 200 is in history',
        );
        for (const [i, s] of subscribers.entries()) {
          await until(`subscriber ${i}`, () => idsOf(s).includes(sentinel));
          assert.deepEqual(
            idsOf(s),
            [...full, sentinel],
            `subscriber ${i}: everything, once, in history order`,
          );
          s.close();
        }
      } finally {
        await Promise.all(nodes.map(kill));
      }
    });
  }
});
