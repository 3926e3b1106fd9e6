// The emoji tracker page: the grid of every emoji with its count, lit up as counts change, and a
// detail view. Totals come from GET /emoji/api/totals first, then from the score topic: every
// score update holds every total, so applying the larger value per emoji converges whatever
// updates are skipped (maxRate) or missed between the snapshot and the subscription.
const params = new URLSearchParams(location.search);
const rate = params.get('rate');
const state = {
  counts: [],
  updates: 0,
  arrivals: [],
  detailUpdates: 0,
  error: null,
  opens: 0,
  streamErrors: 0,
  // Where main() is, for a test that finds a page not live: 'totals' (fetching the snapshot),
  // 'subscribing' (the EventSource made, not open yet), 'live'.
  phase: 'totals',
};
// Read by the browser test; harmless otherwise.
window.emojiState = state;

const grid = document.getElementById('grid');
const totalEl = document.getElementById('total');
const cells = [];
let snapshot;

function hubUrl(topic, maxRate) {
  const u = new URL('/.well-known/mercure', location.origin);
  u.searchParams.append('match', topic);
  if (maxRate) u.searchParams.set('maxRate', maxRate);
  return u;
}

// Counts are applied as they arrive; the grid is drawn once per animation frame, whatever the
// update rate: changed cells get their number and light up (a class, faded out by a CSS
// transition once it is removed on the next frame).
const changed = new Set();
let lit = [];
let frameAsked = false;

function apply(counts) {
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n > (state.counts[i] ?? 0)) {
      state.counts[i] = n;
      changed.add(i);
    }
  }
  if (!frameAsked) {
    frameAsked = true;
    requestAnimationFrame(draw);
  }
}

function draw() {
  frameAsked = false;
  for (const cell of lit) cell.el.classList.remove('lit');
  lit = [];
  for (const i of changed) {
    const cell = cells[i];
    if (!cell) continue;
    cell.n.textContent = String(state.counts[i]);
    cell.el.classList.add('lit');
    lit.push(cell);
  }
  changed.clear();
  let total = 0;
  for (const n of state.counts) total += n ?? 0;
  totalEl.textContent = String(total);
  if (lit.length > 0 && !frameAsked) {
    frameAsked = true;
    requestAnimationFrame(draw);
  }
}

async function loadTotals() {
  const res = await fetch('/emoji/api/totals', { cache: 'no-store' });
  if (!res.ok) throw new Error(`totals: HTTP ${res.status}`);
  return res.json();
}

function build(emoji) {
  for (const [i, e] of emoji.entries()) {
    const el = document.createElement('button');
    el.type = 'button';
    el.className = 'cell';
    el.dataset.id = e.id;
    el.title = `U+${e.id.toUpperCase()}`;
    const c = document.createElement('span');
    c.className = 'e';
    c.textContent = e.char;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = '0';
    el.append(c, n);
    el.addEventListener('click', () => openDetail(i));
    grid.append(el);
    cells.push({ el, n });
  }
}

let detailSource;
function openDetail(i) {
  const e = snapshot.emoji[i];
  const panel = document.getElementById('detail');
  panel.hidden = false;
  panel.dataset.id = e.id;
  document.getElementById('detail-char').textContent = e.char;
  document.getElementById('detail-total').textContent = String(state.counts[i] ?? 0);
  document.getElementById('detail-recent').replaceChildren();
  detailSource?.close();
  detailSource = new EventSource(hubUrl(snapshot.detailTopicPrefix + e.id, rate));
  detailSource.onmessage = (m) => {
    const d = JSON.parse(m.data);
    if (d.id !== panel.dataset.id) return;
    state.detailUpdates++;
    document.getElementById('detail-total').textContent = String(d.total);
    const items = d.recent.map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    });
    document.getElementById('detail-recent').replaceChildren(...items);
  };
}
document.getElementById('detail-close').addEventListener('click', () => {
  detailSource?.close();
  document.getElementById('detail').hidden = true;
});

async function main() {
  snapshot = await loadTotals();
  build(snapshot.emoji);
  apply(snapshot.counts);
  document.getElementById('rate').textContent = rate ? `at most ${rate} updates/s` : 'every update (60/s)';
  state.phase = 'subscribing';
  const source = new EventSource(hubUrl(snapshot.scoresTopic, rate));
  source.onopen = async () => {
    state.opens++;
    state.phase = 'live';
    document.body.dataset.connection = 'live';
    document.getElementById('connection').textContent = 'live';
    // Whatever was published between the snapshot and the subscription: totals only grow.
    apply((await loadTotals()).counts);
  };
  source.onerror = () => {
    state.streamErrors++;
    document.body.dataset.connection = 'reconnecting';
    document.getElementById('connection').textContent = 'reconnecting…';
  };
  source.onmessage = (m) => {
    state.updates++;
    state.arrivals.push(performance.now());
    if (state.arrivals.length > 10_000) state.arrivals.splice(0, 5_000);
    apply(JSON.parse(m.data).c);
  };
}

main().catch((err) => {
  state.error = String(err);
  document.getElementById('connection').textContent = `error: ${err.message ?? err}`;
});
