// Draws the page's state: each column's figures, its last ticks, and whether the four agree.
// Everything is text (textContent): nothing received is ever parsed as HTML.
const ROWS = [
  ['received', 'updates'],
  ['requests', 'requests'],
  ['requestsPerUpdate', 'requests / update'],
  ['emptyAnswers', 'empty answers'],
  ['bytes', 'bytes received'],
  ['bytesPerUpdate', 'bytes / update'],
  ['timesSse', 'bytes / update, × SSE'],
  ['p50', 'latency p50'],
  ['p99', 'latency p99'],
  ['errors', 'errors'],
];
const NAMES = { sse: 'SSE', websocket: 'WebSocket', longPoll: 'long-poll', poll: 'poll' };

const number = (n, digits = 0) =>
  n === null || !Number.isFinite(n) ? '–' : n.toLocaleString('en', { maximumFractionDigits: digits });
const ms = (n) => (n === null ? '–' : Math.abs(n) >= 1000 ? `${number(n / 1000, 2)} s` : `${number(n)} ms`);

function figures(c, sse) {
  const { p50, p99 } = c.latency();
  const per = (x) => (c.received === 0 ? '–' : number(x / c.received, 1));
  const sseBytes = sse.received === 0 ? 0 : sse.bytes / sse.received;
  return {
    received: number(c.received),
    requests: number(c.requests),
    requestsPerUpdate: per(c.requests),
    emptyAnswers: number(c.emptyAnswers),
    bytes: number(c.bytes),
    bytesPerUpdate: per(c.bytes),
    timesSse: c.received === 0 || sseBytes === 0 ? '–' : number(c.bytes / c.received / sseBytes, 1),
    p50: ms(p50),
    p99: ms(p99),
    errors: c.errors === 0 ? '0' : `${c.errors} (${c.lastError})`,
  };
}

export function createView(columns) {
  const cells = {};
  for (const key of Object.keys(columns)) {
    const section = document.querySelector(`.column[data-key="${key}"]`);
    const dl = section.querySelector('.stats');
    cells[key] = { section, ticks: section.querySelector('.ticks'), dd: {} };
    for (const [stat, label] of ROWS) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.stat = stat;
      dl.append(dt, dd);
      cells[key].dd[stat] = dd;
    }
  }
  const agreementEl = document.getElementById('agreement');

  return function render(state) {
    for (const [key, c] of Object.entries(columns)) {
      const cell = cells[key];
      cell.section.dataset.connected = String(c.connected);
      for (const [stat, text] of Object.entries(figures(c, columns.sse))) cell.dd[stat].textContent = text;
      cell.ticks.replaceChildren(
        ...c.ticks.map((t) => {
          const li = document.createElement('li');
          li.textContent = `tick ${t.n ?? '?'}  +${ms(t.latency)}`;
          return li;
        }),
      );
    }
    const a = state.agreement;
    agreementEl.dataset.ok = String(a.ok);
    if (!a.ok) {
      const m = a.mismatch;
      agreementEl.textContent = `✗ ${NAMES[m.column]} got ${m.got} as update ${m.at + 1}, where another got ${m.want}`;
    } else if (a.common === 0) {
      agreementEl.textContent = `Waiting for a tick on every transport (the ticker: ${number(state.rate, 1)} a second)…`;
    } else {
      const counts = Object.entries(columns).map(([k, c]) => `${NAMES[k]} ${c.received}`);
      agreementEl.textContent = `✓ The four agree: the same ${a.common} ids in the same order (${counts.join(', ')})`;
    }
  };
}
