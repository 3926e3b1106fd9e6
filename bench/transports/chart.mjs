// Self-contained SVG charts of bench/results/transports.json (no scripts, fonts or external
// assets): transports.svg, four log-scale panels (bytes, requests, hub CPU and p99 latency per
// delivered update; one group of bars per update rate, one bar per transport), and
// transports-vs-sse.svg, the same figures as ratios to SSE in the same run.
import { TRANSPORT_NAMES, TRANSPORTS } from './catalogue.mjs';

const COLORS = {
  'poll-1s': '#c53030',
  'poll-5s': '#dd6b20',
  'long-poll': '#d69e2e',
  sse: '#2b6cb0',
  websocket: '#38a169',
  'sse-h2': '#805ad5',
};
const W = 560;
const H = 300;
const PAD = { left: 60, right: 12, top: 40, bottom: 40 };

const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const short = (v) => {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(1);
  if (v >= 0.01) return v.toFixed(2);
  return v.toExponential(0);
};

/** One log-scale panel. groups: [{label, values: {transport: number|null}}]; 0 is written, not drawn. */
function panel(x0, y0, title, unit, groups, names) {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const vals = groups
    .flatMap((g) => names.map((t) => g.values[t]))
    .filter((v) => typeof v === 'number' && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...vals, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...vals, 1))));
  const y = (v) => PAD.top + ph - (ph * (Math.log10(v) - lo)) / (hi - lo);
  const out = [
    `<g transform="translate(${x0},${y0})">`,
    `<rect width="${W}" height="${H}" fill="#fff" stroke="#e2e8f0"/>`,
  ];
  out.push(
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`);
    out.push(
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#4a5568">${short(v)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(14,${PAD.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#4a5568">${esc(unit)} (log scale)</text>`,
  );
  const gw = pw / Math.max(groups.length, 1);
  const bw = Math.min(26, (gw * 0.85) / names.length);
  groups.forEach((g, gi) => {
    const gx = PAD.left + gi * gw + (gw - bw * names.length) / 2;
    names.forEach((t, ti) => {
      const v = g.values[t];
      const x = gx + ti * bw;
      if (typeof v !== 'number' || v <= 0) {
        const text = v === 0 ? '0' : 'n/a';
        out.push(
          `<text x="${x + bw / 2}" y="${PAD.top + ph - 4}" text-anchor="middle" font-size="9" fill="#718096">${text}</text>`,
        );
        return;
      }
      const top = Math.min(y(v), PAD.top + ph - 1);
      out.push(
        `<rect x="${x + 1}" y="${top}" width="${bw - 2}" height="${PAD.top + ph - top}" fill="${COLORS[t] ?? '#333'}"><title>${esc(`${TRANSPORTS[t]?.label ?? t} at ${g.label}: ${v}`)}</title></rect>`,
      );
      out.push(
        `<text x="${x + bw / 2}" y="${top - 3}" text-anchor="middle" font-size="9">${short(v)}</text>`,
      );
    });
    out.push(
      `<text x="${PAD.left + gi * gw + gw / 2}" y="${PAD.top + ph + 16}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

function svg(panels, names, caption) {
  const rows = Math.ceil(panels.length / 2);
  const totalW = 2 * W + 10;
  const legendY = rows * (H + 10) + 10;
  const legend = names
    .map(
      (t, i) =>
        `<rect x="${10 + i * 175}" y="${legendY}" width="12" height="12" fill="${COLORS[t]}"/><text x="${28 + i * 175}" y="${legendY + 11}" font-size="12">${esc(TRANSPORTS[t].label)}</text>`,
    )
    .join('\n');
  const placed = panels.map((p, i) => p((i % 2) * (W + 10), Math.floor(i / 2) * (H + 10)));
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${legendY + 44}" viewBox="0 0 ${totalW} ${legendY + 44}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#f7fafc"/>
${placed.join('\n')}
${legend}
<text x="10" y="${legendY + 34}" font-size="10" fill="#4a5568">${esc(caption)}</text>
</svg>
`;
}

export function renderCharts({ meta, transports }) {
  const names = TRANSPORT_NAMES.filter((t) => transports.some((r) => r.transport === t));
  const rates = [...new Set(transports.flatMap((t) => t.phases.map((p) => p.rate)))].sort((a, b) => a - b);
  const metric = (get) =>
    rates.map((rate) => ({
      label: `${rate} updates per second`,
      values: Object.fromEntries(
        names.map((t) => {
          const p = transports.find((r) => r.transport === t)?.phases.find((q) => q.rate === rate);
          return [t, p ? get(p) : null];
        }),
      ),
    }));
  const at = (x, y, ...a) => panel(x, y, ...a, names);
  const caption =
    `${meta.mode} run ${meta.started.slice(0, 16).replace('T', ' ')} UTC · N = ${meta.options.n} subscribers per transport · ` +
    `${meta.cpu} · node ${meta.node} · hub on CPU ${meta.pinning?.server ?? '-'}, clients on CPU ${meta.pinning?.loadgen ?? '-'}` +
    (meta.options.together ? ' · all transports on one hub (CPU shared)' : '');
  const main = svg(
    [
      (x, y) =>
        at(
          x,
          y,
          'Bytes on the wire per delivered update',
          'bytes, both directions',
          metric((p) => p.perDelivery.bytes),
        ),
      (x, y) =>
        at(
          x,
          y,
          'Requests per delivered update',
          'requests',
          metric((p) => p.perDelivery.requests),
        ),
      (x, y) =>
        at(
          x,
          y,
          'Hub CPU per delivered update',
          'µs',
          metric((p) => p.serverCpuUsPerDelivery),
        ),
      (x, y) =>
        at(
          x,
          y,
          'Delivery latency p99',
          'ms',
          metric((p) => p.latencyMs.p99),
        ),
    ],
    names,
    caption,
  );
  const vs = svg(
    [
      (x, y) =>
        at(
          x,
          y,
          'Bytes per delivered update, x SSE',
          'x SSE',
          metric((p) => p.vsSse?.bytes ?? null),
        ),
      (x, y) =>
        at(
          x,
          y,
          'Hub CPU per delivered update, x SSE',
          'x SSE',
          metric((p) => p.vsSse?.serverCpu ?? null),
        ),
    ],
    names,
    caption,
  );
  return { 'transports.svg': main, 'transports-vs-sse.svg': vs };
}
