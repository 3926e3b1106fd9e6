/**
 * Issue 6, the soak in CI: `soak/run.ts` (what `npm run soak` runs) for about 40 s with 300
 * subscribers against the real CLI, which must pass: no acknowledged update lost, duplicated or
 * reordered for any subscriber that reads, RSS and descriptors bounded. And the same run with a
 * loss injected must fail, so a passing soak means something. Then the hub stopped (SIGSTOP) for
 * 4 s across its streams' lifetime, so that everything lands at once on SIGCONT: it must recover
 * and the run must say in how long. Longer runs: docs/soak.md.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../../..');

interface SoakRun {
  readonly code: number | null;
  readonly output: string;
  // biome-ignore lint/suspicious/noExplicitAny: the result JSON is checked field by field below
  readonly result: any;
}

/** Runs the soak as `npm run soak` does (on the CLI as built by `tsc -b`), bounded by `timeoutMs`. */
async function soak(args: string[], timeoutMs: number): Promise<SoakRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-soak-test-'));
  try {
    const child = spawn(
      process.execPath,
      [
        '--conditions=tidings-source',
        '--import',
        'tsx',
        'soak/run.ts',
        '--no-build',
        '--results-dir',
        dir,
        ...args,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(timer);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    const result = files.length === 1 ? JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) : undefined;
    return { code, output, result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts the run passed, with its output in the message; reports its summary; returns its result. */
// biome-ignore lint/suspicious/noExplicitAny: the result JSON is checked field by field by the tests
function passed(run: SoakRun, t: { diagnostic(message: string): void }): any {
  const r = run.result;
  assert.ok(r !== undefined, `a result was written:\n${run.output.slice(-3000)}`);
  t.diagnostic(run.output.slice(run.output.indexOf('\nsubscribers ')).trim());
  assert.deepEqual(r.failures, [], run.output.slice(-3000));
  assert.equal(r.pass, true, 'the run passed');
  assert.equal(run.code, 0, 'the soak exited 0');
  return r;
}

describe('soak', () => {
  test('300 subscribers, 200 publishes/s for 36 s: nothing lost, RSS and descriptors bounded', {
    timeout: 180_000,
  }, async (t) => {
    const run = await soak(
      [
        '--minutes',
        '0.6',
        '--subscribers',
        '300',
        '--sample',
        '3',
        '--max-lifetime',
        '25s',
        '--history',
        '2000',
        // 4 KB updates: the never-reading subscribers fill the socket buffers (megabytes on
        // loopback) within their lifetime even when a busy machine publishes a quarter of the rate.
        '--padding',
        '4096',
      ],
      170_000,
    );
    const r = passed(run, t);
    // Every part of the run happened, so the pass covers it.
    for (const kind of ['honest', 'slow', 'silent', 'churn']) assert.ok(r.subscribers[kind] > 0, kind);
    assert.deepEqual(r.losses, { honest: 0, slow: 0, churn: 0 });
    // No throughput floor: a busy machine publishes less, and speed is judged by benchmarks and
    // the long soaks (docs/soak.md). What must hold is that the run published and delivered.
    assert.ok(r.publish.acked > 0, `published ${r.publish.acked}`);
    assert.ok(r.latency.count > 0, `live deliveries measured: ${r.latency.count}`);
    const last = r.samples.at(-1);
    assert.ok(
      last.dropped.slow_consumer + last.dropped.write_timeout > 0,
      'never-reading subscribers were dropped',
    );
    assert.ok(last.dropped.lifetime > 0, 'streams reached their maximum lifetime and resumed');
    assert.ok(r.clients.connects > 300, `reconnects: ${r.clients.connects} connections for 300 subscribers`);
    assert.ok(r.rss.samples >= 2 && r.fds.samples >= 2, `growth judged on ${r.rss.samples} samples`);
    assert.ok(r.afterClose.fds <= r.idle.fds + 4, 'descriptors back to idle');
  });

  test('the hub stopped for 4 s across a lifetime rotation recovers from the storm', {
    timeout: 120_000,
  }, async (t) => {
    // Streams opened by the ramp end 10.8 to 12 s later: all while the hub is stopped (9 to 13 s).
    const run = await soak(
      [
        '--minutes',
        '0.4',
        '--subscribers',
        '300',
        '--sample',
        '3',
        '--max-lifetime',
        '12s',
        '--history',
        '4000',
        '--pause-hub',
        '9:4',
      ],
      110_000,
    );
    const r = passed(run, t);
    assert.deepEqual(r.losses, { honest: 0, slow: 0, churn: 0 });
    assert.equal(r.pauses.length, 1);
    const pause = r.pauses[0];
    // Timers on a busy machine fire late, never early: the pause started at 9 s or later and lasted 4 s or more.
    assert.ok(pause.stoppedAtS >= 8.9, `stopped at ${pause.stoppedAtS} s`);
    assert.ok(pause.resumedAtS - pause.stoppedAtS >= 3.9, `resumed at ${pause.resumedAtS} s`);
    assert.equal(pause.recovered, true);
    assert.equal(pause.endedBy, 'recovered');
    assert.ok(
      pause.recoveredAfterS > 0 && pause.recoveredAfterS <= 60,
      `recovered after ${pause.recoveredAfterS} s`,
    );
    assert.match(run.output, /hub recovered after \d+\.\d s/);
    assert.ok(pause.windows.at(-1).healthy, 'the last window is healthy');
    // The storm happened: streams ended together. How many resumes wait at once is the hub's
    // speed, not asserted: 164 on 2b0e8d5, 30 (the churn subscribers) once replays got cheap.
    assert.ok(pause.resumesWaitingMax > 0, `at most ${pause.resumesWaitingMax} resumes waiting`);
    assert.ok(r.samples.at(-1).dropped.lifetime >= 200, 'streams reached their lifetime during the pause');
    assert.ok(
      r.samples.some((s: { pause: string | null }) => s.pause === 'stopped'),
      'a sample is marked as taken while the hub was stopped',
    );
  });

  test('the same soak with one update ignored by one subscriber fails', { timeout: 120_000 }, async () => {
    const run = await soak(
      ['--minutes', '0.15', '--subscribers', '40', '--sample', '2', '--inject-loss'],
      110_000,
    );
    assert.equal(run.code, 1, run.output.slice(-2000));
    assert.equal(run.result?.pass, false);
    assert.deepEqual(run.result.losses, { honest: 1, slow: 0, churn: 0 });
    assert.match(run.output, /1 acknowledged updates lost, duplicated or reordered/);
  });
});
