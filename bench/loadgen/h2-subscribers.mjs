// N SSE subscribers over HTTP/2 with prior knowledge (h2c), `perConnection` streams on each
// connection (1: one subscriber per connection, as HTTP/1.1; 100: many streams on one, as a
// browser's tabs or a proxy). Each DATA chunk is read by the same code as the raw-socket
// subscribers (Subscribers.read): the marker, sequence number and publish time, nothing else.
// node:http2 parses the frames, which costs this process more than raw reads: its CPU is
// reported per run like the other load generator's.
import http2 from 'node:http2';
import { Subscribers } from './subscribers.mjs';

/** A browser's connection window (Chromium: 15 MB): flow control never stalls a reading stream. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;

export class H2Subscribers extends Subscribers {
  constructor(opts) {
    super(opts);
    this.perConnection = Math.max(1, opts.perConnection ?? 1);
    this.path = opts.path;
    this.sessions = [];
  }

  /** Opens the connections, at most `concurrency` in flight, and their streams; resolves once all are requested. */
  connectAll(concurrency) {
    const connections = Math.ceil(this.n / this.perConnection);
    return new Promise((resolve, reject) => {
      let started = 0;
      let inflight = 0;
      let done = 0;
      let failed = false;
      const next = () => {
        while (!failed && inflight < concurrency && started < connections) {
          const first = started * this.perConnection;
          const count = Math.min(this.perConnection, this.n - first);
          started++;
          inflight++;
          this.openSession(first, count).then(
            () => {
              inflight--;
              done++;
              this.connected += count;
              if (done === connections) resolve();
              else next();
            },
            (e) => {
              if (failed) return;
              failed = true;
              reject(new Error(`h2 connection ${started} (${this.connected} streams open): ${e.message}`));
            },
          );
        }
      };
      next();
    });
  }

  openSession(first, count) {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://${this.host}:${this.port}`, {
        localAddress: this.localAddress,
        settings: { enablePush: false },
      });
      this.sessions.push(session);
      let connected = false;
      session.on('error', (e) => {
        if (!connected) reject(e);
      });
      session.once('connect', () => {
        connected = true;
        session.setLocalWindowSize(CONNECTION_WINDOW);
        for (let k = 0; k < count; k++) this.openStream(session, first + k);
        resolve();
      });
    });
  }

  openStream(session, id) {
    const sub = { id, sock: null, head: null, body: false, carry: null, warm: false, expect: 0 };
    this.subs.push(sub);
    const stream = session.request({
      ':path': this.path,
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
    });
    sub.sock = stream;
    stream.on('response', (headers) => {
      sub.body = true;
      if (headers[':status'] === 200) this.headersOk++;
      else {
        this.headersBad++;
        this.firstBadHead ??= `HTTP/2 ${headers[':status']}`;
      }
    });
    stream.on('data', (chunk) => this.read(sub, chunk.length, chunk));
    stream.on('error', () => {});
    stream.on('close', () => {
      this.closed++;
    });
  }
}
