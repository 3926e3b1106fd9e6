/**
 * Issue 10, item 5: caps hold under resume bursts. A resume waiting for its replay slot counts
 * against the per-client and total subscriber caps from the moment it is admitted, so a burst of
 * resumes cannot open more streams than the caps allow (it did: 2,000 resumes opened 1,136
 * streams under a per-client cap of 1,000). Scaled down: 60 resumes against caps of 10.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalEngine, MemoryStore } from '@tidings/hub';
import { GatedStore } from './support/gated-store.js';
import { startHub } from './support/hub-fixture.js';
import { rawExchange } from './support/raw-http.js';

const TOPIC = 'https://example.com/burst';
const BURST = 60;
const CAP = 10;

async function waitUntil(what: () => boolean, label: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!what()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Sends BURST resumes at once while history reads are held (so every admitted resume waits for
 * the one replay slot), then lets them through; resolves with the status of each answer.
 */
async function burst(limits: Record<string, number>, forwarded: (i: number) => string): Promise<number[]> {
  const store = new GatedStore(new MemoryStore());
  const fx = await startHub({
    engine: new LocalEngine(store),
    trustProxy: true,
    subscriptions: false,
    limits: { maxConcurrentReplays: 1, ...limits },
  });
  try {
    assert.equal((await fx.publish({ topic: TOPIC, id: 'a', data: '1' })).status, 200, 'published');
    store.hold();
    const answers = Array.from({ length: BURST }, (_, i) =>
      rawExchange(
        fx.port,
        [
          `GET /.well-known/mercure?topic=${encodeURIComponent(TOPIC)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            `Last-Event-ID: a\r\nX-Forwarded-For: ${forwarded(i)}\r\n\r\n`,
        ],
        { timeoutMs: 20_000, stopWhen: (r) => r.status !== undefined },
      ),
    );
    // Every resume has been admitted (waiting) or refused before any gets its slot.
    await waitUntil(() => store.held === 1, 'the first resume reads history');
    const settled: number[] = [];
    for (const a of answers) void a.then((r) => settled.push(r.status ?? 0));
    await waitUntil(
      () => settled.length + fx.hub.subscriberCount + (CAP - 1) >= BURST,
      'refusals answered while the admitted resumes wait',
    );
    store.open();
    const statuses = (await Promise.all(answers)).map((r) => r.status ?? 0);
    assert.ok(fx.hub.subscriberCount <= CAP, `at most ${CAP} streams open, got ${fx.hub.subscriberCount}`);
    return statuses;
  } finally {
    store.open();
    await fx.close();
  }
}

function count(statuses: number[], status: number): number {
  return statuses.filter((s) => s === status).length;
}

describe('subscriber caps under a resume burst (issue 10)', () => {
  test('per-client cap: waiting resumes count from admission', async () => {
    const statuses = await burst({ maxSubscribersPerClient: CAP }, () => '192.0.2.1');
    assert.equal(count(statuses, 200), CAP, `exactly ${CAP} streams opened: ${statuses.join(',')}`);
    assert.equal(count(statuses, 429), BURST - CAP, `the rest refused 429: ${statuses.join(',')}`);
  });

  test('total cap: waiting resumes count from admission', async () => {
    const statuses = await burst({ maxSubscribers: CAP }, (i) => `192.0.2.${i + 1}`);
    assert.equal(count(statuses, 200), CAP, `exactly ${CAP} streams opened: ${statuses.join(',')}`);
    assert.equal(count(statuses, 503), BURST - CAP, `the rest refused 503: ${statuses.join(',')}`);
  });
});
