/**
 * The publish-path table (bench/lib/publish-report.mjs): ratios to nchan per publish, not per
 * delivery (nchan's subscriber may lose deliveries, which would flatter everyone else).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishRows } from '../lib/publish-report.mjs';

const phase = (publishesPerSec: number, usPerPublish: number, deliveriesPerSec: number) => ({
  kind: 'max',
  publishesPerSec,
  serverCpuUsPerPublish: usPerPublish,
  deliveriesPerSec,
  serverCpuSecondsPerMillion: (usPerPublish * publishesPerSec) / deliveriesPerSec,
  serverCpuUtil: 0.5,
  serverCpuBusy: 0.8,
});
const run = (target: string, p: ReturnType<typeof phase>) => ({ target, n: 1, idleOnly: false, phases: [p] });

test('ratios to nchan are per publish, and absent without nchan', () => {
  const runs = [
    // nchan lost a quarter of its deliveries: 10 µs per publish, 13.3 per delivery.
    run('nchan', phase(40_000, 10, 30_000)),
    run('tidings-lmdb-token', phase(10_000, 45, 10_000)),
  ];
  const rows = publishRows({ runs });
  assert.deepEqual(
    rows.map((r) => r.target),
    ['nchan', 'tidings-lmdb-token'],
  );
  const lmdb = rows[1]!;
  assert.equal(lmdb.xNchan, 4.5);
  assert.equal(lmdb.rateXNchan, 0.25);
  assert.ok(Math.abs((lmdb.otherShare ?? 0) - 0.3) < 1e-9, `other share ${lmdb.otherShare}`);
  assert.deepEqual(publishRows({ runs: runs.slice(1) }), []);
});
