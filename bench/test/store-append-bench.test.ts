/**
 * bench/store-append.ts at tiny scale, so the tool cannot rot: 8 appends in flight for 0.3 s on
 * each store, history of 20 (so LMDB appends trim). What must hold: the run ends, and every
 * figure it prints for both stores is a positive number (a run that measured no append prints
 * NaN), with LMDB's ratio to the memory store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

test('bench/store-append.ts prints appends/s, CPU per append and latency for both stores', {
  timeout: 120_000,
}, async () => {
  const child = spawn(
    process.execPath,
    [
      '--conditions=tidings-source',
      '--import',
      'tsx',
      'bench/store-append.ts',
      '--inflight',
      '8',
      '--seconds',
      '0.3',
      '--runs',
      '1',
      '--history',
      '20',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 0, output);
  for (const store of ['memory', 'lmdb']) {
    const line = new RegExp(`^${store} +8 +(.+)$`, 'm').exec(output);
    assert.ok(line, `a line for ${store}: ${output}`);
    const figures = line[1]!.trim().split(/ +/).map(Number);
    assert.equal(figures.length, 5, `appends/s, µs CPU, µs main, p50, p99 for ${store}: ${line[0]}`);
    for (const f of figures.slice(0, 3))
      assert.ok(Number.isFinite(f) && f > 0, `${store}: ${f} in ${line[0]} is not a positive figure`);
  }
  assert.match(output, /lmdb \/ memory at 8: CPU per append x\d/, 'the ratio line');
});
