// The publish path (issue 13 targets), when a run has nchan and Tidings results with one
// subscriber: publishes/s and server CPU per publish, as ratios to nchan in the same run. Per
// publish, not per delivery: nchan's subscriber may lose deliveries (its message buffer), which
// makes its CPU per delivery look higher than its CPU per publish.
import { phaseOf } from './report.mjs';

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

/** Rows of the publish-path table (exported for bench/test/publish-report.test.ts). */
export function publishRows({ runs }) {
  const find = (target) => runs.find((r) => r.target === target && r.n === 1 && !r.idleOnly);
  const nchan = phaseOf(find('nchan') ?? {}, 'max');
  const targets = runs.filter((r) => r.n === 1 && !r.idleOnly && r.target !== 'nchan').map((r) => r.target);
  if (nchan == null || targets.length === 0) return [];
  return ['nchan', ...targets].map((target) => {
    const p = phaseOf(find(target) ?? {}, 'max');
    const other = p?.serverCpuBusy == null ? null : Math.max(0, p.serverCpuBusy - p.serverCpuUtil);
    return {
      target,
      publishesPerSec: p?.publishesPerSec ?? null,
      usPerPublish: p?.serverCpuUsPerPublish ?? null,
      xNchan: ratio(p?.serverCpuUsPerPublish, nchan.serverCpuUsPerPublish),
      rateXNchan: ratio(p?.publishesPerSec, nchan.publishesPerSec),
      serverShare: p?.serverCpuUtil ?? null,
      otherShare: other,
    };
  });
}

export function printPublishReport(results) {
  const rows = publishRows(results);
  if (rows.length === 0) return;
  console.log(
    '\nPublish path, N = 1 (targets: 25,000 publishes/s on LMDB with a token; CPU per publish within 2x nchan)',
  );
  const headers = ['server', 'publishes/s', 'x nchan', 'µs CPU/publish', 'x nchan', 'srv CPU', 'other'];
  const cells = rows.map((r) => [
    r.target,
    r.publishesPerSec == null ? '-' : Math.round(r.publishesPerSec).toLocaleString('en-US'),
    fmt(r.rateXNchan, 2),
    fmt(r.usPerPublish),
    fmt(r.xNchan, 2),
    r.serverShare == null ? '-' : `${Math.round(r.serverShare * 100)} %`,
    r.otherShare == null ? '-' : `${Math.round(r.otherShare * 100)} %`,
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((v, i) => String(v).padEnd(widths[i])).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  console.log(
    'publishes/s: acknowledged publishes per second; µs CPU/publish: server process tree CPU time per publish.',
  );
}
