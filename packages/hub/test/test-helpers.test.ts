/**
 * The test helpers can fail: a missing metric series is an error (not 0), a waiting helper whose
 * condition never holds throws, the SSE reader tells a clean end from a reset, and only a
 * connection failure counts as one. Each against a small loopback server that does the wrong
 * thing on purpose.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@tidings/test-support';
import { isConnectionError } from './support/connection-error.js';
import { waitUntil } from './support/quiet-watch.js';
import { family, metric, waitForMetric } from './support/read-metrics.js';
import { SseReader } from './support/sse-reader.js';

const METRICS = [
  '# HELP t_total A counter.',
  '# TYPE t_total counter',
  't_total{reason="a"} 0',
  't_total{reason="b"} 2',
  '# TYPE t_gauge gauge',
  't_gauge 7',
  '',
].join('\n');

let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/metrics') return void res.end(METRICS);
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('id: 1\ndata: one\n\n');
    // /clean ends the response (terminating chunk); /reset destroys the socket mid-response.
    if (req.url === '/clean') res.end();
    else if (req.url === '/reset') setImmediate(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('test helpers', () => {
  test('metric: a present series reads its value, a missing one throws', async () => {
    assert.equal(await metric(base, 't_total', '{reason="a"}'), 0, 'an exported 0 is 0');
    assert.equal(await metric(base, 't_gauge'), 7, 'an unlabelled sample');
    await assert.rejects(metric(base, 't_total', '{reason="client"}'), /not exported/, 'missing label value');
    await assert.rejects(metric(base, 't_missing'), /not exported/, 'missing family');
    assert.deepEqual(
      [...(await family(base, 't_total'))],
      [
        ['{reason="a"}', 0],
        ['{reason="b"}', 2],
      ],
      'a family by label set',
    );
  });

  test('waitForMetric and waitUntil throw when the condition is never met', async () => {
    assert.equal(await waitForMetric(base, 't_gauge', '', (v) => v === 7, 200), 7, 'met at once');
    await assert.rejects(
      waitForMetric(base, 't_gauge', '', (v) => v === 8, 200),
      /timed out.*last read 7/,
    );
    await assert.rejects(
      waitUntil(() => false, 'never', 100),
      /timed out: never/,
      'waitUntil fails, not returns',
    );
  });

  test('the SSE reader tells a clean end from a reset and from its own close', async () => {
    const clean = await SseReader.open(`${base}/clean`);
    assert.equal((await clean.endedWithin(5000)).kind, 'clean', 'terminating chunk: clean');
    const reset = await SseReader.open(`${base}/reset`);
    const end = await reset.endedWithin(5000);
    assert.equal(end.kind, 'reset', 'socket destroyed mid-response: reset');
    assert.ok(end.kind === 'reset' && isConnectionError(end.error), 'a reset is a connection error');
    const open = await SseReader.open(`${base}/open`);
    await open.waitFor(1);
    open.close();
    assert.equal((await open.endedWithin(5000)).kind, 'aborted', 'closed by the reader');
    const never = await SseReader.open(`${base}/open`);
    await assert.rejects(never.endedWithin(100), /did not end within 100 ms/, 'a deadline, not a hang');
    never.close();
  });

  test('only a connection failure is a connection error', async () => {
    const refused = await fetch(`http://127.0.0.1:${await freePort()}/`).catch((e: unknown) => e);
    assert.equal(isConnectionError(refused), true, 'connection refused');
    assert.equal(isConnectionError(new assert.AssertionError({ message: 'wrong body' })), false);
    assert.equal(isConnectionError(new TypeError('fetch failed')), false, 'no cause, no excuse');
  });
});
