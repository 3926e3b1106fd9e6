/**
 * bench/instructions.mjs at tiny scale, so the before/after tool cannot rot: the built hub under
 * valgrind's callgrind, 5 raw-socket subscribers, 100 publishes measured after 100 of warm-up.
 * What must hold: the run ends, every subscriber got every update (the driver waits for that), and
 * the count is of the measured part only: Node's start-up alone runs about 500 million
 * instructions, so a total near that means the counters were not zeroed after the warm-up.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;

test('bench/instructions.mjs counts the measured publishes only', {
  timeout: 1_200_000,
  skip: hasValgrind ? false : 'valgrind is not installed (scripts/ensure-deps.sh installs it)',
}, async () => {
  const child = spawn(
    process.execPath,
    ['bench/instructions.mjs', '--n', '5', '--publishes', '100', '--warmup', '100'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0, output);
  const m = /(\d+) M instructions for 100 publishes to 5 subscribers: (\d+) per delivery/.exec(output);
  assert.ok(m, `a figure is printed: ${output}`);
  const millions = Number(m[1]);
  // Measured here: about 40 M on the main thread for these 100 publishes; a bare `node -e ''` alone runs about 500 M
  // under callgrind, and the hub's start-up and warm-up more than that.
  assert.ok(millions >= 1, `${millions} M instructions is too few to be 100 publishes`);
  assert.ok(millions < 400, `${millions} M instructions: start-up or warm-up was counted`);
  assert.ok(Number(m[2]) > 0, 'a figure per delivery');
});
