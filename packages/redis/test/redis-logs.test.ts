/**
 * Issue 10, item 9: the Redis engine tells operators when it loses Redis, each reconnect
 * attempt, and recovery, through the logger the hub passes in (a real pino logger here, its JSON
 * lines captured), against a real redis-server that the test stops and starts again.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { type RedisServer, startRedisServer } from '@tidings/test-support';
import { pino } from 'pino';
import { createRedisEngine } from '../src/redis-engine.js';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.dispose();
});

async function waitFor(what: () => boolean, label: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!what()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('losing Redis, each reconnect attempt and recovery are logged', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const engine = await createRedisEngine({
    url: server.url,
    streamKey: `logs:${process.pid}`,
    readBlockMs: 200,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    logger,
  });
  try {
    assert.equal(lines.length, 0, `a healthy start logs nothing at info: ${JSON.stringify(lines)}`);
    await server.kill();
    const lost = () => lines.filter((l) => /lost the Redis connection/.test(String(l.msg)));
    const attempts = () => lines.filter((l) => l.msg === 'reconnecting to Redis');
    await waitFor(() => lost().length === 2, 'both connections report the loss');
    assert.ok(
      lost().every((l) => l.level === 40),
      'the loss is a warning',
    );
    await waitFor(() => attempts().length >= 4, 'reconnect attempts');
    assert.ok(
      attempts().every((l) => l.level === 30 && typeof l.attempt === 'number'),
      'attempts at info',
    );
    await server.start();
    await waitFor(() => engine.isReady(), 'the engine is ready again');
    const recovered = lines.filter((l) => l.msg === 'Redis connection recovered');
    await waitFor(
      () => lines.filter((l) => l.msg === 'Redis connection recovered').length === 2,
      'both connections report recovery',
    );
    assert.ok(
      recovered.every((l) => typeof l.downMs === 'number' && (l.downMs as number) > 0),
      'recovery says how long Redis was gone',
    );
    assert.equal(lost().length, 2, 'one loss line per connection per outage, not one per attempt');
  } finally {
    await engine.close();
  }
});
