// Ratios to SSE in the same run (machines are noisy: compare within a run), and the console
// report: one table per update rate, then the target for WebSocket's hub CPU.
import { BASELINE, TRANSPORTS } from './catalogue.mjs';

export const WS_CPU_TARGET = 1.2;
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

/** Adds `vsSse` to each phase: the figure divided by SSE's at the same rate. */
export function withRatios(results) {
  const base = results.transports.find((t) => t.transport === BASELINE);
  for (const t of results.transports) {
    for (const p of t.phases) {
      const b = base?.phases.find((q) => q.rate === p.rate);
      p.vsSse = b
        ? {
            bytes: ratio(p.perDelivery.bytes, b.perDelivery.bytes),
            bytesDown: ratio(p.perDelivery.bytesDown, b.perDelivery.bytesDown),
            serverCpu: ratio(p.serverCpuUsPerDelivery, b.serverCpuUsPerDelivery),
            p50: ratio(p.latencyMs.p50, b.latencyMs.p50),
            p99: ratio(p.latencyMs.p99, b.latencyMs.p99),
          }
        : null;
    }
  }
  return results;
}

const f = (v, d = 2) => (v == null || Number.isNaN(v) ? '-' : v.toFixed(d));
const big = (v) => (v == null ? '-' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Prints the tables; returns false when a run failed or lost, repeated or reordered an update. */
export function printReport({ meta, errors, transports }) {
  const rates = [...new Set(transports.flatMap((t) => t.phases.map((p) => p.rate)))];
  for (const rate of rates) {
    console.log(
      `\n${rate} updates/s, N = ${meta.options.n} per transport: per delivered update (x = ratio to SSE)`,
    );
    const rows = transports.map((t) => {
      const p = t.phases.find((q) => q.rate === rate) ?? { perDelivery: {}, latencyMs: {} };
      const busy = p.serverCpuBusy == null ? '-' : `${Math.round(p.serverCpuBusy * 100)} %`;
      return [
        TRANSPORTS[t.transport]?.label ?? t.transport,
        p.deliveries ?? '-',
        big(p.perDelivery.bytesDown),
        big(p.perDelivery.bytesUp),
        f(p.perDelivery.requests, 3),
        f(p.serverCpuUsPerDelivery, 1),
        f(p.latencyMs.p50, 1),
        f(p.latencyMs.p99, 1),
        f(p.vsSse?.bytes),
        f(p.vsSse?.serverCpu),
        f(p.vsSse?.p99),
        busy,
      ];
    });
    table(
      [
        'transport',
        'deliv',
        'B down',
        'B up',
        'requests',
        'hub µs',
        'p50 ms',
        'p99 ms',
        'x bytes',
        'x CPU',
        'x p99',
        'hub CPU busy',
      ],
      rows,
    );
  }
  const ws = transports.find((t) => t.transport === 'websocket');
  if (ws && transports.some((t) => t.transport === BASELINE)) {
    const parts = ws.phases.map((p) => `${f(p.vsSse?.serverCpu)} at ${p.rate}/s`);
    console.log(
      `\nWebSocket hub CPU per delivered update, x SSE (target <= ${WS_CPU_TARGET}): ${parts.join(', ')}`,
    );
  }
  console.log(
    '\nBytes: at the clients\' sockets, both directions, HTTP heads and framing included. "hub CPU busy": how busy the hub\'s CPU was, the hub included (other load makes a run noisy).',
  );
  let ok = errors.length === 0;
  for (const e of errors) console.log(`ERROR ${e}`);
  for (const t of transports) if (t.lost + t.duplicates > 0) ok = false;
  return ok;
}
