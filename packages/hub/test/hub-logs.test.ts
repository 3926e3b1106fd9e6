/**
 * Issue 10, item 9: operators see what happens. At `debug` the hub logs each subscribe and each
 * publish, with tokens redacted and no update data; a CORS refusal is logged once per origin.
 * The logger is a real pino logger writing JSON lines to a stream the test reads.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { startHub } from './support/hub-fixture.js';
import { accessToken, SIGNED_HUB } from './support/sign-token.js';

function capture(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, sink) };
}

async function waitFor<T>(find: () => T | undefined, label: string): Promise<T> {
  const end = Date.now() + 10_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('hub logs (issue 10)', () => {
  test('subscribe and publish at debug, redacted; CORS refusals once per origin', async () => {
    const { lines, logger } = capture();
    const fx = await startHub({ ...SIGNED_HUB, corsOrigins: ['https://app.example'], logger });
    const abort = new AbortController();
    try {
      const subToken = await accessToken(['subscribe'], ['*'], { key: SIGNED_HUB.subscriberKeys[0] });
      const topic = 'https://example.com/logged';
      const res = await fetch(`${fx.url}?topic=${encodeURIComponent(topic)}&authorization=${subToken}`, {
        signal: abort.signal,
        headers: { Origin: 'https://evil.example' },
      });
      assert.equal(res.status, 200, 'subscribed');
      const sub = await waitFor(() => lines.find((l) => l.msg === 'subscribe'), 'a subscribe line');
      assert.match(String(sub.url), /authorization=\[REDACTED\]/, 'the query token is redacted');
      assert.ok(!JSON.stringify(lines).includes(subToken), 'the subscriber token is never logged');

      const pubToken = await accessToken(['publish'], ['*']);
      const secret = 'data that must stay out of the logs';
      const published = await fx.publish(
        { topic, data: secret, id: 'logged-1' },
        {
          Authorization: `Bearer ${pubToken}`,
        },
      );
      assert.equal(published.status, 200, 'published');
      const pub = await waitFor(() => lines.find((l) => l.msg === 'publish'), 'a publish line');
      assert.equal(pub.id, 'logged-1', 'the publish line names the id');
      assert.deepEqual(pub.topics, [topic], 'and the topics');
      assert.ok(!JSON.stringify(lines).includes(secret), 'update data is never logged');
      assert.ok(!JSON.stringify(lines).includes(pubToken), 'the publisher token is never logged');

      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${fx.url.replace('/.well-known/mercure', '/healthz')}`, {
          headers: { Origin: 'https://evil.example' },
        });
        await r.arrayBuffer();
        const p = await fetch(fx.url, { method: 'OPTIONS', headers: { Origin: 'https://other.example' } });
        await p.arrayBuffer();
      }
      const refusals = (origin: string) => lines.filter((l) => l.origin === origin).length;
      await waitFor(() => (refusals('https://other.example') > 0 ? true : undefined), 'a CORS line');
      assert.equal(refusals('https://evil.example'), 1, 'one line for a refused origin, however often');
      assert.equal(refusals('https://other.example'), 1, 'and one per other refused origin');
      assert.equal(refusals('https://app.example'), 0, 'none for an allowed origin');
    } finally {
      abort.abort();
      await fx.close();
    }
  });
});
