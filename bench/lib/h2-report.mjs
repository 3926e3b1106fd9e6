// HTTP/2 against HTTP/1.1 (issue 14 targets), when a run has tidings and tidings-h2* results:
// server CPU per delivery and memory per idle subscriber, as ratios to HTTP/1.1 in the same run.
import { phaseOf } from './report.mjs';

const fmt = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

export function printH2Report({ meta, runs }) {
  const h2 = ['tidings-h2', 'tidings-h2x100'].filter((t) => runs.some((r) => r.target === t));
  if (h2.length === 0 || !runs.some((r) => r.target === 'tidings')) return;
  const find = (target, n) => runs.find((r) => r.target === target && r.n === n && !r.idleOnly);
  const ns = [...new Set(runs.filter((r) => r.target === 'tidings' && !r.idleOnly).map((r) => r.n))];
  console.log('\nHTTP/2 (h2c) against HTTP/1.1, same hub, same run: x HTTP/1.1 (target: CPU within 1.3)');
  const rows = [];
  for (const n of ns) {
    const h1 = find('tidings', n);
    for (const kind of meta.options.phases) {
      const base = phaseOf(h1 ?? {}, kind);
      for (const t of h2) {
        const p = phaseOf(find(t, n) ?? {}, kind);
        const other = p?.serverCpuBusy == null ? null : Math.max(0, p.serverCpuBusy - p.serverCpuUtil);
        rows.push([
          n,
          kind === 'max' ? 'unthrottled' : 'fixed rate',
          t,
          fmt(base?.serverCpuSecondsPerMillion),
          fmt(p?.serverCpuSecondsPerMillion),
          fmt(ratio(p?.serverCpuSecondsPerMillion, base?.serverCpuSecondsPerMillion)),
          other == null ? '-' : `${Math.round(other * 100)} %`,
        ]);
      }
    }
    const r1 = find('tidings', n);
    for (const t of h2) {
      const r = find(t, n);
      rows.push([
        n,
        'idle memory',
        t,
        `${fmt(r1?.rssPerIdleSubscriberBytes / 1024, 1)} KB`,
        `${fmt(r?.rssPerIdleSubscriberBytes / 1024, 1)} KB`,
        fmt(ratio(r?.rssPerIdleSubscriberBytes, r1?.rssPerIdleSubscriberBytes)),
        '',
      ]);
    }
  }
  const headers = ['N', 'measure', 'h2 server', 'HTTP/1.1', 'h2', 'x HTTP/1.1', 'other on CPU'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(
    'CPU in server CPU-seconds per million deliveries; memory: RSS per idle subscriber (per connection for HTTP/1.1, per stream for h2).',
  );
}
