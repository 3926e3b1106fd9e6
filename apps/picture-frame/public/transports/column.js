// One transport's live figures: what it received, the requests it made, the bytes it read and
// the latency of each update (the page's clock at arrival minus the publish time in the tick).
export const LATENCY_WINDOW = 100;
/** Ids kept for the page's state (the test reads them); the agreement check needs none. */
const IDS_KEPT = 10_000;

export class Column {
  constructor(key, agreement, clock) {
    this.key = key;
    this.agreement = agreement;
    this.clock = clock;
    this.ids = [];
    this.ticks = [];
    this.received = 0;
    this.requests = 0;
    this.emptyAnswers = 0;
    this.bytes = 0;
    this.latencies = [];
    this.errors = 0;
    this.lastError = null;
    this.connected = false;
    agreement.add(this);
  }

  request() {
    this.requests++;
  }

  read(bytes) {
    this.bytes += bytes;
  }

  empty() {
    this.emptyAnswers++;
  }

  failed(err) {
    this.errors++;
    this.lastError = String(err?.message ?? err);
    this.connected = false;
  }

  /** One update; `at` is when its bytes arrived (a poll answer's events share one). */
  update(id, data, at = this.clock.now()) {
    let tick = null;
    try {
      tick = JSON.parse(data);
    } catch {}
    const latency = typeof tick?.t === 'number' ? at - tick.t : NaN;
    this.agreement.check(this, this.received, id);
    this.received++;
    if (this.ids.length < IDS_KEPT) this.ids.push(id);
    this.latencies.push(latency);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    this.ticks.unshift({ n: tick?.n, latency });
    if (this.ticks.length > 8) this.ticks.pop();
    this.clock.onTick?.(tick);
  }

  /** p50 and p99 of the latency window (nearest rank), in ms. */
  latency() {
    const sorted = this.latencies.filter(Number.isFinite).sort((a, b) => a - b);
    const rank = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    return sorted.length === 0 ? { p50: null, p99: null } : { p50: rank(50), p99: rank(99) };
  }
}
