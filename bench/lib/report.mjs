// The console report: one table per publish phase, one for memory, and the ratios to nchan and
// to the naive baseline (ratios, because absolute figures move with the machine's noise).

const fmt = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const int = (v) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
const pct = (v) => (v === null || v === undefined ? '-' : `${Math.round(v * 100)} %`);
const ms = (us) => (us === null || us === undefined ? '-' : (us / 1000).toFixed(us < 10_000 ? 2 : 0));
const ratio = (a, b) =>
  a === null || b === null || a === undefined || b === undefined || b === 0 ? null : a / b;

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function phaseOf(run, kind) {
  return run.phases?.find((p) => p.kind === kind) ?? null;
}

export function printReport({ meta, skipped, runs }) {
  let ok = true;
  const publishRuns = runs.filter((r) => !r.idleOnly);
  const ns = [...new Set(publishRuns.map((r) => r.n))].sort((a, b) => a - b);
  const find = (target, n, idleOnly = false) =>
    runs.find((r) => r.target === target && r.n === n && r.idleOnly === idleOnly);
  const targets = [...new Set(runs.map((r) => r.target))];

  console.log(
    `\nTidings fan-out benchmark (${meta.mode}) — ${meta.cpu}, ${meta.cpus} CPUs, node ${meta.node}, ${meta.nginx ?? 'no nginx'}`,
  );
  console.log(
    meta.pinning
      ? `server pinned to CPU ${meta.pinning.server}, load generator to CPU ${meta.pinning.loadgen}`
      : 'no CPU pinning',
  );
  for (const [t, why] of Object.entries(skipped)) console.log(`SKIPPED ${t}: ${why}`);

  for (const kind of meta.options.phases) {
    const title =
      kind === 'max'
        ? `\nUnthrottled: as fast as the server answers (${meta.options.window} publishes in flight), ${meta.options.durationS} s`
        : `\nFixed rate: ${int(meta.options.rate)} deliveries/s (= ${int(meta.options.rate)}/N publishes/s), ${meta.options.durationS} s`;
    console.log(title);
    const rows = [];
    for (const n of ns) {
      const nchanP = phaseOf(find('nchan', n) ?? {}, kind);
      const naiveP = phaseOf(find('naive', n) ?? {}, kind);
      for (const t of targets) {
        const run = find(t, n);
        if (!run) continue;
        const p = phaseOf(run, kind);
        if (!p) {
          rows.push([
            n,
            t,
            'FAILED',
            ...Array(11).fill(''),
            (run.errors ?? []).join('; ').split('\n')[0].slice(0, 120),
          ]);
          ok = false;
          continue;
        }
        if (p.lost > 0 || p.outOfOrder > 0 || p.publishErrors > 0 || p.subscribersClosed > 0) ok = false;
        // The load generator limits a run only if it is near a full core while the server is not.
        const flag = p.loadgenCpuUtil > 0.9 && p.serverCpuUtil < 0.9 ? ' !' : '';
        const other = p.serverCpuBusy == null ? null : Math.max(0, p.serverCpuBusy - p.serverCpuUtil);
        rows.push([
          n,
          t,
          int(p.deliveriesPerSec),
          fmt(p.serverCpuSecondsPerMillion),
          fmt(ratio(p.serverCpuSecondsPerMillion, nchanP?.serverCpuSecondsPerMillion)),
          fmt(ratio(p.serverCpuSecondsPerMillion, naiveP?.serverCpuSecondsPerMillion)),
          pct(p.serverCpuUtil),
          pct(other),
          pct(p.loadgenCpuUtil) + flag,
          fmt(p.loadgenCpuSecondsPerMillion),
          ms(p.latencyUs.p50),
          ms(p.latencyUs.p99),
          ms(p.latencyUs.max),
          `${p.lost}/${p.outOfOrder}`,
          p.publishErrors > 0
            ? `${p.publishErrors}: ${p.firstPublishError}`
            : p.drainTimedOut
              ? 'drain timed out'
              : '',
        ]);
      }
    }
    table(
      [
        'N',
        'server',
        'deliv/s',
        'srv CPU-s/M',
        'x nchan',
        'x naive',
        'srv CPU',
        'other',
        'lg CPU',
        'lg CPU-s/M',
        'p50 ms',
        'p99 ms',
        'max ms',
        'lost/ooo',
        'notes',
      ],
      rows,
    );
  }

  console.log(
    '\nMemory: server RSS with no subscriber, with N idle subscribers, and the difference per subscriber',
  );
  const memRows = [];
  const memKeys = [...new Set(runs.map((r) => `${r.n}|${r.idleOnly}`))]
    .map((k) => k.split('|'))
    .map(([n, i]) => [Number(n), i === 'true'])
    .sort((a, b) => a[0] - b[0]);
  for (const [n, idleOnly] of memKeys) {
    const nchanR = find('nchan', n, idleOnly);
    const naiveR = find('naive', n, idleOnly);
    for (const t of targets) {
      const r = find(t, n, idleOnly);
      if (!r) continue;
      if (r.rssPerIdleSubscriberBytes == null) {
        memRows.push([
          n,
          t,
          'FAILED',
          '',
          '',
          '',
          '',
          (r.errors ?? []).join('; ').split('\n')[0].slice(0, 120),
        ]);
        ok = false;
        continue;
      }
      memRows.push([
        n,
        t,
        fmt(r.rssEmptyBytes / 2 ** 20, 1),
        fmt(r.rssIdleBytes / 2 ** 20, 1),
        fmt(r.rssPerIdleSubscriberBytes / 1024, 2),
        fmt(ratio(r.rssPerIdleSubscriberBytes, nchanR?.rssPerIdleSubscriberBytes)),
        fmt(ratio(r.rssPerIdleSubscriberBytes, naiveR?.rssPerIdleSubscriberBytes)),
        (r.warnings ?? []).join('; ').slice(0, 160),
      ]);
    }
  }
  table(
    ['N', 'server', 'RSS empty MB', 'RSS idle MB', 'KB/idle sub', 'x nchan', 'x naive', 'notes'],
    memRows,
  );

  for (const r of runs) {
    if (r.errors?.length > 0) {
      ok = false;
      console.log(`\nERRORS ${r.target} N=${r.n}${r.idleOnly ? ' idle' : ''}:\n  ${r.errors.join('\n  ')}`);
    }
  }
  console.log(
    "\nx nchan / x naive: this server's figure divided by theirs at the same N (CPU: lower is better)." +
      '\nsrv CPU / lg CPU: CPU time of the server process tree / of the load generator, as a share of one core over the phase;' +
      "\nother: what else kept the server's CPU busy (other programs, interrupts): high values mean a noisy run." +
      '\nA "!" marks a load generator above 90 % while the server was below 90 %: the load generator was the limit.' +
      '\nlost/ooo (lost and out-of-order deliveries) must be 0/0. Medians over repetitions when --repeat > 1.',
  );
  return ok;
}
