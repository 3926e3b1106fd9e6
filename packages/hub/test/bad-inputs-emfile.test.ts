/**
 * bad-inputs.md, "Connections": many idle connections against a hub with few file descriptors.
 * The real CLI runs under `ulimit -n`; every connection must get an HTTP answer (a stream, or
 * 503 with Retry-After), never a reset from running out of descriptors, and the hub keeps
 * serving publishes and /healthz while they are all held open.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { TIDINGS_BIN } from './support/cli-process.js';
import { assertProblem } from './support/expect-problem.js';
import { parseResponse } from './support/raw-http.js';

const FD_LIMIT = 128;
const CONNECTIONS = 220;
const BATCH = 10;

async function startLimitedHub(): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${FD_LIMIT} && exec "$0" "$1" serve --port 0 --transport memory --anonymous --heartbeat 0 --max-subscribers-per-client 100000 --log-level info`,
      process.execPath,
      TIDINGS_BIN,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /"port":(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${out}`)));
  });
  return { child, port, output: () => out };
}

type Outcome =
  | { kind: 'answer'; status: number; raw: Buffer; socket: Socket }
  | { kind: 'reset'; error: string };

/** Opens one subscription; resolves with its response head (and keeps the socket open), or how it failed. */
function subscribe(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => finish({ kind: 'reset', error: 'no answer in 15 s' }), 15_000);
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      const r = parseResponse(Buffer.concat(chunks), false, 0);
      if (r.status !== undefined && (r.status === 200 || r.body.length > 0))
        finish({ kind: 'answer', status: r.status, raw: Buffer.concat(chunks), socket });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'reset', error: e.code ?? e.message }));
    socket.on('close', () => finish({ kind: 'reset', error: 'closed without an answer' }));
    socket.write('GET /.well-known/mercure?match=https%3A%2F%2Fexample.com%2Fe HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

describe('bad inputs: file descriptors', () => {
  test(`${CONNECTIONS} streams against ulimit -n ${FD_LIMIT}: every one answered (200 or 503), the hub keeps serving`, async () => {
    const hub = await startLimitedHub();
    const held: Socket[] = [];
    try {
      const outcomes: Outcome[] = [];
      for (let i = 0; i < CONNECTIONS; i += BATCH) {
        const batch = await Promise.all(Array.from({ length: BATCH }, () => subscribe(hub.port)));
        for (const o of batch) if (o.kind === 'answer') held.push(o.socket);
        outcomes.push(...batch);
      }
      const resets = outcomes.filter((o) => o.kind === 'reset');
      const statuses = outcomes.flatMap((o) => (o.kind === 'answer' ? [o.status] : []));
      assert.equal(hub.child.exitCode, null, 'the hub is alive');
      assert.deepEqual(
        resets.map((o) => (o.kind === 'reset' ? o.error : '')),
        [],
        `every connection answered (${statuses.filter((s) => s === 200).length} streams, ${statuses.filter((s) => s === 503).length} x 503)`,
      );
      assert.ok(statuses.includes(200), 'streams were served');
      assert.ok(statuses.includes(503), 'and the cap was reached before the descriptors ran out');
      assert.ok(
        statuses.every((s) => s === 200 || s === 503),
        `${[...new Set(statuses)]}`,
      );
      const refused = outcomes.find((o) => o.kind === 'answer' && o.status === 503);
      if (refused?.kind === 'answer') {
        assertProblem(parseResponse(refused.raw, true, 0), 'too_many_subscribers', { retryAfter: true });
      }

      // With every stream still held open: health, a publish, and its delivery to the streams.
      const base = `http://127.0.0.1:${hub.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const published = await fetch(`${base}/.well-known/mercure`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'topic=https%3A%2F%2Fexample.com%2Fe&data=still-serving',
      });
      assert.equal(published.status, 200);
      const streams = held.filter((s) => !s.destroyed).slice(0, 5);
      await Promise.all(
        streams.map(
          (s) =>
            new Promise<void>((resolve, reject) => {
              const t = setTimeout(() => reject(new Error('no delivery')), 15_000);
              const check = (b: Buffer) => {
                if (b.toString().includes('still-serving')) {
                  clearTimeout(t);
                  s.off('data', check);
                  resolve();
                }
              };
              s.on('data', check);
            }),
        ),
      );
    } finally {
      for (const s of held) s.destroy();
      hub.child.kill('SIGKILL');
      if (hub.child.exitCode === null && hub.child.signalCode === null) await once(hub.child, 'exit');
    }
  });
});
