// A self-contained SVG (no scripts, fonts or external assets): four grouped bar charts, one group
// per subscriber count and one bar per server.
import { phaseOf } from './report.mjs';

const COLORS = { tidings: '#2b6cb0', nchan: '#c05621', naive: '#718096' };
const W = 520;
const H = 300;
const PAD = { left: 64, right: 16, top: 40, bottom: 46 };

const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A round step such that four steps cover v. */
function niceStep(v) {
  if (!(v > 0)) return 0.25;
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function tick(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

function short(v) {
  if (v === null || v === undefined) return '';
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** groups: [{label, values: {target: number|null}}] */
function panel(x0, y0, title, unit, groups, targets) {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const all = groups.flatMap((g) => targets.map((t) => g.values[t])).filter((v) => typeof v === 'number');
  const step = niceStep(Math.max(0, ...all));
  const max = step * 4;
  const out = [`<g transform="translate(${x0},${y0})">`];
  out.push(`<rect width="${W}" height="${H}" fill="#fff" stroke="#e2e8f0"/>`);
  out.push(
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = step * i;
    const y = PAD.top + ph - (ph * i) / 4;
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + pw}" y1="${y}" y2="${y}" stroke="#edf2f7"/>`);
    out.push(
      `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#4a5568">${tick(v)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(14,${PAD.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#4a5568">${esc(unit)}</text>`,
  );
  if (groups.length === 0) {
    out.push(
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="#a0aec0">no data</text>`,
    );
  }
  const gw = pw / Math.max(groups.length, 1);
  const bw = Math.min(40, (gw * 0.8) / targets.length);
  groups.forEach((g, gi) => {
    const gx = PAD.left + gi * gw + (gw - bw * targets.length) / 2;
    targets.forEach((t, ti) => {
      const v = g.values[t];
      const x = gx + ti * bw;
      if (typeof v !== 'number') {
        out.push(
          `<text x="${x + bw / 2}" y="${PAD.top + ph - 4}" text-anchor="middle" font-size="10" fill="#a0aec0">n/a</text>`,
        );
        return;
      }
      const h = (ph * v) / max;
      out.push(
        `<rect x="${x + 1}" y="${PAD.top + ph - h}" width="${bw - 2}" height="${h}" fill="${COLORS[t] ?? '#333'}"><title>${esc(`${t} N=${g.label}: ${v}`)}</title></rect>`,
      );
      out.push(
        `<text x="${x + bw / 2}" y="${PAD.top + ph - h - 3}" text-anchor="middle" font-size="10">${short(v)}</text>`,
      );
    });
    out.push(
      `<text x="${PAD.left + gi * gw + gw / 2}" y="${PAD.top + ph + 16}" text-anchor="middle" font-size="11">N = ${esc(g.label)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

export function renderChart({ meta, runs }) {
  const targets = ['tidings', 'nchan', 'naive'].filter((t) => runs.some((r) => r.target === t));
  const publishNs = [...new Set(runs.filter((r) => !r.idleOnly).map((r) => r.n))].sort((a, b) => a - b);
  const get = (n, t, idleOnly = false) =>
    runs.find((r) => r.n === n && r.target === t && r.idleOnly === idleOnly);
  const metric = (kind, f) =>
    publishNs.map((n) => ({
      label: n.toLocaleString('en-US'),
      values: Object.fromEntries(
        targets.map((t) => {
          const p = phaseOf(get(n, t) ?? {}, kind);
          return [t, p ? f(p) : null];
        }),
      ),
    }));
  const memKeys = [...new Set(runs.map((r) => `${r.n}|${r.idleOnly}`))]
    .map((k) => k.split('|'))
    .map(([n, i]) => [Number(n), i === 'true'])
    .sort((a, b) => a[0] - b[0]);
  const mem = memKeys.map(([n, idleOnly]) => ({
    label: `${n.toLocaleString('en-US')}${idleOnly ? ' idle' : ''}`,
    values: Object.fromEntries(
      targets.map((t) => {
        const r = get(n, t, idleOnly);
        return [t, r?.rssPerIdleSubscriberBytes !== undefined ? r.rssPerIdleSubscriberBytes / 1024 : null];
      }),
    ),
  }));
  const rateTitle = `p99 publish→deliver at ${short(meta.options.rate)} deliveries/s`;
  const panels = [
    panel(
      0,
      0,
      'Server CPU per million deliveries (unthrottled)',
      'CPU seconds',
      metric('max', (p) => p.serverCpuSecondsPerMillion),
      targets,
    ),
    panel(
      W + 10,
      0,
      'Deliveries per second (unthrottled)',
      'deliveries/s',
      metric('max', (p) => p.deliveriesPerSec),
      targets,
    ),
    panel(
      0,
      H + 10,
      rateTitle,
      'ms',
      metric('rate', (p) => (p.latencyUs.p99 === null ? null : p.latencyUs.p99 / 1000)),
      targets,
    ),
    panel(W + 10, H + 10, 'RSS per idle subscriber', 'KB', mem, targets),
  ];
  const totalW = 2 * W + 10;
  const legendY = 2 * H + 20;
  const legend = targets
    .map(
      (t, i) =>
        `<rect x="${10 + i * 120}" y="${legendY}" width="12" height="12" fill="${COLORS[t]}"/><text x="${28 + i * 120}" y="${legendY + 11}" font-size="12">${t}</text>`,
    )
    .join('\n');
  const caption =
    `${meta.mode} run ${meta.started.slice(0, 16).replace('T', ' ')} UTC · ${meta.cpu} · node ${meta.node} · ${meta.nginx ?? ''} · ` +
    `server on CPU ${meta.pinning?.server ?? '-'}, load generator on CPU ${meta.pinning?.loadgen ?? '-'} · ${meta.options.durationS} s per phase`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${totalW}" height="${legendY + 40}" viewBox="0 0 ${totalW} ${legendY + 40}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#f7fafc"/>
${panels.join('\n')}
${legend}
<text x="10" y="${legendY + 30}" font-size="10" fill="#4a5568">${esc(caption)}</text>
</svg>
`;
}
