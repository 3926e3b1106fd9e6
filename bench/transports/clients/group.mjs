// What every transport's clients share: N clients opened with bounded concurrency, each with its
// own sequence check (`expect`), counted in one Tally. A transport's class says how one client
// opens (`open(client, done)`, calling done() once it is subscribed: a stream's 200 or 101, a
// poll's first answer) and reads.
import net from 'node:net';

/** One buffer all raw sockets of the process read into (net's `onread`): reading allocates nothing. */
export const SHARED = Buffer.allocUnsafe(256 * 1024);
export const CRLFCRLF = Buffer.from('\r\n\r\n');

export class ClientGroup {
  constructor({ host, port, path, n, tally }) {
    this.host = host;
    this.port = port;
    this.authority = `${host}:${port}`;
    this.path = path;
    this.n = n;
    this.tally = tally;
    this.clients = [];
    this.ready = 0;
    this.refused = 0;
    this.closed = 0; // streams that ended while the benchmark ran
    this.firstRefusal = null;
  }

  /** Opens all clients, at most `concurrency` opening at once; resolves when all are subscribed or refused. */
  openAll(concurrency) {
    return new Promise((resolve) => {
      let started = 0;
      let settled = 0;
      const next = () => {
        while (started < this.n && started - settled < concurrency) {
          const client = { id: started++, expect: 0, sock: null };
          this.clients.push(client);
          let once = false;
          this.open(client, () => {
            if (once) return;
            once = true;
            settled++;
            if (settled === this.n) resolve();
            else next();
          });
        }
      };
      if (this.n === 0) resolve();
      else next();
    });
  }

  refuse(head) {
    this.refused++;
    this.firstRefusal ??= head.slice(0, 300);
  }

  /** A raw TCP connection reading into SHARED, counted by the tally. */
  connect(onRead) {
    const sock = net.connect({
      host: this.host,
      port: this.port,
      onread: { buffer: SHARED, callback: (nread, buf) => onRead(nread, buf) },
    });
    sock.setNoDelay(true);
    this.tally.track(sock);
    return sock;
  }

  /** Where a response head ends in `b` (after its blank line), or -1. */
  static headEnd(b) {
    const i = b.indexOf(CRLFCRLF);
    return i === -1 ? -1 : i + 4;
  }

  close() {
    for (const c of this.clients) c.sock?.destroy();
  }
}
