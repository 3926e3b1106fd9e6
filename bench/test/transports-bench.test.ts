/**
 * `npm run bench:transports` at tiny scale, so the harness cannot rot: the real driver
 * (bench/transports/run.mjs), its load generator and clients, with 10 clients per transport, all
 * transports against one hub run from source (`--together`), one 2 s window at 4 updates/s. The
 * 5 s poll is left out to keep this short: it is the 1 s poll's client with another interval.
 * What must hold: every client got every update once and in order; the bytes the clients counted
 * at their sockets are what the hub's /proc/<pid>/io says it read and wrote (less the publisher's
 * few); each poll request is the browser-sized request wire.mjs builds; streams send nothing and
 * make no request per update, a long poll makes one; polls wait longer than streams; the JSON and
 * charts are written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { http1Request, POLL_HEADERS } from '../transports/wire.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const N = 10;
const TRANSPORTS = ['poll-1s', 'long-poll', 'sse', 'websocket', 'sse-h2'];

test('bench:transports runs end to end at N = 10 and its accounting adds up', {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-transports-test-'));
  try {
    const args = ['--together', '--n', String(N), '--transports', TRANSPORTS.join(','), '--rates', '4'];
    args.push('--windows', '2', '--lead', '1', '--out-dir', dir);
    const child = spawn(process.execPath, ['bench/transports/run.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_NO_PIN: '1', BENCH_HUB_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0, output);

    const r = JSON.parse(readFileSync(join(dir, 'transports.json'), 'utf8'));
    assert.deepEqual(r.errors, [], output);
    assert.deepEqual(
      r.transports.map((t: { transport: string }) => t.transport),
      TRANSPORTS,
    );
    // biome-ignore lint/suspicious/noExplicitAny: the result JSON is checked field by field
    const by = (name: string): any => r.transports.find((t: { transport: string }) => t.transport === name);
    let down = 0;
    let up = 0;
    /** Bytes of one update to every client of every transport. */
    let fanOut = 0;
    for (const name of TRANSPORTS) {
      const t = by(name);
      assert.equal(t.lost, 0, `${name} lost updates`);
      assert.equal(t.duplicates, 0, `${name} repeated updates`);
      assert.equal(t.ready, N);
      const p = t.phases[0];
      assert.ok(
        p.updates >= 7 && p.updates <= 9,
        `${name}: ${p.updates} updates published in a 2 s window at 4/s`,
      );
      // Streams and long polls deliver within the window what it published (give or take the edges).
      if (name !== 'poll-1s')
        assert.ok(Math.abs(p.deliveries - p.updates * N) <= N, `${name}: ${p.deliveries} deliveries`);
      assert.ok(p.perDelivery.bytesDown > 100, `${name}: ${p.perDelivery.bytesDown} bytes down per update`);
      assert.ok(
        p.latencyMs.p50 > 0 && p.latencyMs.p99 >= p.latencyMs.p50,
        `${name}: p50 ${p.latencyMs.p50}, p99 ${p.latencyMs.p99}`,
      );
      down += p.bytesDown;
      up += p.bytesUp;
      fanOut += p.perDelivery.bytesDown * N;
    }
    for (const name of ['sse', 'websocket', 'sse-h2']) {
      const p = by(name).phases[0];
      assert.equal(p.requests, 0, `${name} made requests while streaming`);
      assert.ok(p.perDelivery.bytesDown < 400, `${name}: ${p.perDelivery.bytesDown} bytes per update`);
    }
    assert.equal(by('sse').phases[0].bytesUp, 0);
    const lp = by('long-poll').phases[0];
    assert.ok(
      lp.perDelivery.requests > 0.5 && lp.perDelivery.requests <= 1.1,
      `long poll: ${lp.perDelivery.requests} requests per update`,
    );

    // Each 1 s poll is one browser-sized request (cursor and If-None-Match included), ten clients a second.
    const poll = by('poll-1s').phases[0];
    const id = 'urn:uuid:00000000-0000-0000-0000-000000000000';
    const path = `/.well-known/mercure?match=${encodeURIComponent(r.meta.topic)}&last_event_id=${encodeURIComponent(id)}`;
    const size = http1Request(path, '127.0.0.1:65535', POLL_HEADERS, [['if-none-match', `"${id}"`]]).length;
    assert.ok(size > 700, `a browser poll is ${size} bytes`);
    assert.ok(
      Math.abs(poll.bytesUp / poll.requests - size) <= 2,
      `${poll.bytesUp} bytes up in ${poll.requests} polls of ${size}`,
    );
    assert.ok(poll.requests >= N * 1 && poll.requests <= N * 3.5, `${poll.requests} polls in 2 s`);
    assert.ok(
      poll.latencyMs.p50 > by('sse').phases[0].latencyMs.p50,
      'a 1 s poll waits longer than a stream',
    );

    // What the clients counted at their sockets is what the hub read and wrote, but for the publisher's
    // requests and answers (under 5,000 bytes each way), and but for what is in flight at the window's
    // edges: the two /proc samples and the clients' tallies are taken at the same instants, so bytes
    // the hub wrote (read) just before an edge may be counted by the clients just after it, or the
    // other way round, when either process is starved. At most two updates to every client down
    // (seen: 15,000 bytes, one update to 50 clients) and one request per polling client up (seen:
    // 1,280 bytes one way, 9,104 - 5,000 the other).
    const hub = by('sse').phases[0];
    const edgeDown = 2 * fanOut;
    assert.ok(
      down <= hub.serverWritten + edgeDown && down >= hub.serverWritten - 5_000 - edgeDown,
      `clients read ${down}, hub wrote ${hub.serverWritten} (allowed in flight ${edgeDown})`,
    );
    const edgeUp = 2 * N * size;
    assert.ok(
      up <= hub.serverRead + edgeUp && up >= hub.serverRead - 5_000 - edgeUp,
      `clients wrote ${up}, hub read ${hub.serverRead} (allowed in flight ${edgeUp})`,
    );
    assert.ok(hub.serverCpuSeconds > 0, `hub CPU ${hub.serverCpuSeconds} s`);
    assert.equal(by('websocket').phases[0].vsSse.serverCpu, 1, 'one hub: the same CPU figure for all');

    for (const svg of ['transports.svg', 'transports-vs-sse.svg']) {
      const text = readFileSync(join(dir, svg), 'utf8');
      for (const label of ['poll every 1 s', 'long-poll', 'SSE', 'WebSocket', 'SSE over HTTP/2'])
        assert.ok(text.includes(label), `${svg}: ${label}`);
    }
    assert.ok(existsSync(join(dir, 'transports.json')), 'the JSON is written');
    assert.match(output, /WebSocket hub CPU per delivered update, x SSE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
