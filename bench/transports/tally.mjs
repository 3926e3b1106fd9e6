// What one group of clients (one transport) received and spent, for the measurement windows:
// deliveries checked per client (each update once, in order, none missing), publish-to-receive
// latency, requests and connections the clients opened, and bytes on the wire at their sockets
// (net.Socket bytesRead / bytesWritten: everything the socket carried, HTTP heads, chunk sizes,
// WebSocket and HTTP/2 framing included; TCP/IP headers and ACKs are not socket bytes).
import { Histogram } from '../loadgen/histogram.mjs';

export class Tally {
  /** @param {() => number} nowUs microseconds on the payloads' clock (publish times count from the same epoch) */
  constructor(nowUs) {
    this.nowUs = nowUs;
    this.live = new Set();
    this.closedIn = 0;
    this.closedOut = 0;
    this.deliveries = 0;
    this.requests = 0;
    this.connections = 0;
    this.lost = 0;
    this.duplicates = 0;
    this.errors = 0;
    this.firstError = null;
    this.inWindow = false;
    this.hist = new Histogram();
  }

  /** Counts a socket's bytes from now on, and keeps them once it closes. */
  track(sock) {
    this.live.add(sock);
    this.connections++;
    sock.once('close', () => {
      this.live.delete(sock);
      this.closedIn += sock.bytesRead;
      this.closedOut += sock.bytesWritten;
    });
  }

  /** Bytes the clients' sockets received (in) and sent (out) so far. */
  bytes() {
    let inB = this.closedIn;
    let outB = this.closedOut;
    for (const s of this.live) {
      inB += s.bytesRead;
      outB += s.bytesWritten;
    }
    return { in: inB, out: outB };
  }

  /** An update seen by `client` ({expect}: the next sequence number it should get, 0 before its first). */
  update(client, seq, tsUs) {
    if (client.expect === 0) client.expect = seq;
    if (seq < client.expect) {
      this.duplicates++;
      return;
    }
    if (seq > client.expect) this.lost += seq - client.expect;
    client.expect = seq + 1;
    this.deliveries++;
    if (this.inWindow) this.hist.record(this.nowUs() - tsUs);
  }

  error(message) {
    this.errors++;
    if (this.firstError === null) this.firstError = message;
  }

  snapshot() {
    const b = this.bytes();
    return {
      bytesIn: b.in,
      bytesOut: b.out,
      deliveries: this.deliveries,
      requests: this.requests,
      connections: this.connections,
    };
  }

  /** Opens a measurement window: latency samples from now on. */
  startWindow() {
    this.hist = new Histogram();
    this.inWindow = true;
    return this.snapshot();
  }

  /** Closes the window opened with `start`; returns its totals and the figures per delivered update. */
  endWindow(start) {
    this.inWindow = false;
    const end = this.snapshot();
    const d = (k) => end[k] - start[k];
    const deliveries = d('deliveries');
    const per = (v) => (deliveries > 0 ? v / deliveries : null);
    const ms = (us) => (us === null ? null : us / 1000);
    return {
      deliveries,
      bytesDown: d('bytesIn'),
      bytesUp: d('bytesOut'),
      requests: d('requests'),
      connections: d('connections'),
      perDelivery: {
        bytesDown: per(d('bytesIn')),
        bytesUp: per(d('bytesOut')),
        bytes: per(d('bytesIn') + d('bytesOut')),
        requests: per(d('requests')),
      },
      latencyMs: {
        p50: ms(this.hist.quantile(0.5)),
        p99: ms(this.hist.quantile(0.99)),
        max: deliveries > 0 ? this.hist.maxUs / 1000 : null,
      },
    };
  }

  /** Updates up to `last` that `clients` have not received (0 when all caught up). */
  missing(clients, last) {
    let m = 0;
    for (const c of clients) m += c.expect === 0 ? last : Math.max(0, last + 1 - c.expect);
    return m;
  }
}
