// N SSE subscribers on raw sockets. Per socket and per read, the work is: one indexOf for the
// end of the response head (first read only), then one native indexOf per event for the '~'
// marker, 23 digit reads (sequence number and publish time), two comparisons and a histogram
// increment. All sockets read into one
// shared buffer (net's `onread`), so reading allocates nothing; a Buffer is made only when an
// event straddles two reads.
import net from 'node:net';
import { nowMs } from './clock.mjs';
import { Histogram } from './histogram.mjs';
import { MARK, SEQ_DIGITS, TS_DIGITS } from './payload.mjs';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const SHARED = Buffer.allocUnsafe(256 * 1024);
const TS_AT = 1 + SEQ_DIGITS + 1; // '~' digits '.' digits
const TOKEN = TS_AT + TS_DIGITS;
// Receipt times kept per subscriber when the busiest second is watched (`watchRate`): enough to
// count any second up to this many events (a maximum rate of 10/s allows 11).
const RING = 64;

class Sub {
  constructor(id) {
    this.id = id;
    this.sock = null;
    this.head = null; // bytes of the response head seen so far, until it is complete
    this.body = false;
    this.carry = null; // an incomplete '~digits' token at the end of the previous read
    this.warm = false;
    this.expect = 0;
    this.times = null; // receipt times (µs), a ring of RING, when the busiest second is watched
    this.timeAt = 0;
  }
}

export class Subscribers {
  constructor({ host, port, path, n, epochMs, localAddress, watchRate = false }) {
    // A maximum rate (bench --max-rate): each subscriber's busiest second is counted, by receipt
    // time (a client that stalls and reads two events together counts them in one second: this
    // can only overstate what the hub sent).
    this.watchRate = watchRate;
    this.host = host;
    this.port = port;
    this.localAddress = localAddress;
    this.n = n;
    this.epochMs = epochMs;
    this.request = Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
      'latin1',
    );
    this.subs = [];
    this.connected = 0;
    this.headersOk = 0;
    this.headersBad = 0;
    this.firstBadHead = null;
    this.warmed = 0;
    this.closed = 0;
    this.first = Number.MAX_SAFE_INTEGER; // first sequence number of the current phase
    this.resetCounters();
  }

  resetCounters() {
    this.delivered = 0;
    this.reads = 0;
    this.lost = 0;
    this.outOfOrder = 0;
    this.hist = new Histogram();
    this.lastDeliveryMs = 0; // since the epoch
    this.maxPerSecond = 0; // most events one subscriber received within one second (watchRate)
    this.minGapUs = Number.POSITIVE_INFINITY; // shortest time between two events to one subscriber
    // (watchRate) each delivery's sequence number and latency, for `superseded()`: a maximum rate
    // delivers few events, so keeping them costs little.
    this.rateSeqs = [];
    this.rateLatencies = [];
    this.target = Number.POSITIVE_INFINITY;
    this.onTarget = null;
  }

  /** Opens all sockets, at most `concurrency` connects in flight; resolves when all are connected. */
  connectAll(concurrency) {
    return new Promise((resolve, reject) => {
      let started = 0;
      let inflight = 0;
      let failed = false;
      const next = () => {
        while (!failed && inflight < concurrency && started < this.n) {
          const sub = new Sub(started++);
          this.subs.push(sub);
          inflight++;
          this.open(
            sub,
            () => {
              inflight--;
              this.connected++;
              if (this.connected === this.n) resolve();
              else next();
            },
            (e) => {
              if (failed) return;
              failed = true;
              reject(new Error(`subscriber ${sub.id} (${this.connected} connected): ${e.message}`));
            },
          );
        }
      };
      next();
    });
  }

  open(sub, onConnect, onError) {
    let connected = false;
    const sock = net.connect({
      host: this.host,
      port: this.port,
      localAddress: this.localAddress,
      onread: { buffer: SHARED, callback: (n, buf) => this.read(sub, n, buf) },
    });
    sub.sock = sock;
    sock.once('connect', () => {
      connected = true;
      sock.write(this.request);
      onConnect();
    });
    sock.on('error', (e) => {
      if (!connected) onError(e);
    });
    sock.on('close', () => {
      if (connected) this.closed++;
    });
  }

  startPhase(first) {
    this.resetCounters();
    this.first = first;
    for (const s of this.subs) s.expect = first;
  }

  /** Deliveries not seen at the end of a phase whose last update was `last`. */
  finishPhase(last) {
    let missing = 0;
    for (const s of this.subs) if (s.expect <= last) missing += last + 1 - s.expect;
    this.lost += missing;
    this.first = Number.MAX_SAFE_INTEGER;
  }

  /** Resolves when `target` deliveries have been counted, or after `idleMs` without progress. */
  waitFor(target, idleMs, capMs) {
    return new Promise((resolve) => {
      const started = performance.now();
      let lastCount = this.delivered;
      let lastProgress = started;
      const finish = (timedOut) => {
        clearInterval(timer);
        this.onTarget = null;
        this.target = Number.POSITIVE_INFINITY;
        resolve(timedOut);
      };
      const timer = setInterval(() => {
        const now = performance.now();
        if (this.delivered !== lastCount) {
          lastCount = this.delivered;
          lastProgress = now;
        }
        if (now - lastProgress > idleMs || now - started > capMs) finish(true);
      }, 50);
      this.onTarget = () => finish(false);
      this.target = target;
      if (this.delivered >= target) finish(false);
    });
  }

  read(sub, n, buf) {
    const nowUs = (nowMs() - this.epochMs) * 1000;
    this.reads++;
    let start = 0;
    if (!sub.body) {
      start = this.readHead(sub, n, buf);
      if (start < 0) return;
    }
    let b;
    if (sub.carry !== null) {
      b = Buffer.concat([sub.carry, buf.subarray(start, n)]);
      start = 0;
      sub.carry = null;
    } else {
      b = buf.subarray(0, n); // bounds indexOf: the shared buffer holds stale bytes past n
    }
    const len = b.length;
    const first = this.first;
    const before = this.delivered;
    let i = b.indexOf(MARK, start);
    while (i !== -1) {
      if (i + TOKEN > len) {
        sub.carry = Buffer.from(b.subarray(i, len));
        break;
      }
      const seq = digits(b, i + 1, SEQ_DIGITS);
      const ts = seq < 0 ? -1 : digits(b, i + TS_AT, TS_DIGITS);
      if (ts < 0) {
        i = b.indexOf(MARK, i + 1); // a '~' that is not ours
        continue;
      }
      if (seq < first) {
        // Warm-up update, or a late one from before this phase.
        if (!sub.warm) {
          sub.warm = true;
          this.warmed++;
        }
      } else {
        if (seq === sub.expect) {
          sub.expect = seq + 1;
        } else if (seq > sub.expect) {
          this.lost += seq - sub.expect;
          sub.expect = seq + 1;
        } else {
          this.outOfOrder++;
        }
        this.delivered++;
        this.hist.record(nowUs - ts);
        if (this.watchRate) {
          this.noteRate(sub, nowUs);
          this.rateSeqs.push(seq);
          this.rateLatencies.push(nowUs - ts);
        }
      }
      i = b.indexOf(MARK, i + TOKEN);
    }
    if (this.delivered !== before) {
      this.lastDeliveryMs = nowUs / 1000;
      if (this.delivered >= this.target) this.onTarget?.();
    }
  }

  /**
   * Latencies of the deliveries of updates older than `last`, the phase's last publish (watchRate):
   * each was superseded by the next publish a fraction of a millisecond later, so it was the
   * latest value when its tick came, and its publish-to-receipt latency is at most that
   * fraction more than the time from the tick to its receipt. The last update's deliveries also
   * waited for the first tick after publishing stopped (up to one interval, by design), so they
   * are counted apart.
   */
  superseded(last) {
    const hist = new Histogram();
    let finals = 0;
    for (let i = 0; i < this.rateSeqs.length; i++) {
      if (this.rateSeqs[i] >= last) finals++;
      else hist.record(this.rateLatencies[i]);
    }
    return { hist, finals };
  }

  /** Counts the events `sub` received in the second up to `nowUs` (the ring holds the latest RING). */
  noteRate(sub, nowUs) {
    if (sub.times === null) sub.times = new Float64Array(RING).fill(Number.NEGATIVE_INFINITY);
    const times = sub.times;
    const prev = times[(sub.timeAt + RING - 1) % RING];
    if (nowUs - prev < this.minGapUs) this.minGapUs = nowUs - prev;
    times[sub.timeAt] = nowUs;
    sub.timeAt = (sub.timeAt + 1) % RING;
    let count = 0;
    for (let k = 1; k <= RING; k++) {
      if (nowUs - times[(sub.timeAt + RING - k) % RING] >= 1e6) break;
      count++;
    }
    if (count > this.maxPerSecond) this.maxPerSecond = count;
  }

  /** Consumes the HTTP response head; returns where the body starts in buf, or -1. */
  readHead(sub, n, buf) {
    let b = buf.subarray(0, n);
    let offset = 0;
    if (sub.head !== null) {
      offset = sub.head.length;
      b = Buffer.concat([sub.head, b]);
    }
    const end = b.indexOf(CRLFCRLF);
    if (end === -1) {
      sub.head = Buffer.from(b);
      return -1;
    }
    const status = b.latin1Slice(9, 12);
    sub.body = true;
    if (status === '200') {
      this.headersOk++;
    } else {
      this.headersBad++;
      if (this.firstBadHead === null) this.firstBadHead = b.latin1Slice(0, Math.min(b.length, 400));
    }
    if (sub.head !== null) {
      // Rare: the head spanned reads. Keep the body bytes as carry so read() sees them.
      sub.head = null;
      const rest = b.subarray(end + 4);
      sub.carry = rest.length > 0 ? Buffer.from(rest) : null;
      return n;
    }
    return end + 4 - offset;
  }
}

/** The decimal number in b[at, at + width), or -1 if a byte is not a digit. */
function digits(b, at, width) {
  let v = 0;
  for (let k = at; k < at + width; k++) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
