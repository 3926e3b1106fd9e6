// fetch() polls and long polls as a page makes them: keep-alive HTTP/1.1 on raw sockets, the
// browser's headers and cookie on every request, the cursor from each answer sent back as
// last_event_id. Poll (`everyMs`): one request per interval, started on a fixed schedule
// (setInterval-like, each client at its own random offset), with If-None-Match: the last ETag, so
// an answer with nothing new is a 304 with no body. Long poll (`waitS`): the next request as soon
// as an answer arrives. A request on a connection the hub closes (its 5 s keep-alive timeout)
// is sent again on a new one, as browsers retry an idempotent request: both are counted.
import { scanMarks } from '../marks.mjs';
import { http1Request, POLL_HEADERS } from '../wire.mjs';
import { ClientGroup } from './group.mjs';

const LAST_ID = '"last_event_id":"';

export class PollClients extends ClientGroup {
  /** @param {{everyMs?: number, waitS?: number}} o plus ClientGroup's options */
  constructor(o) {
    super(o);
    this.everyMs = o.everyMs ?? 0;
    this.waitS = o.waitS ?? 0;
    this.stopped = false;
    this.retries = 0;
  }

  open(client, done) {
    client.cursor = null;
    client.etag = null;
    client.request = null; // the request in flight
    client.buf = null;
    client.onReady = done;
    this.send(client);
  }

  send(client) {
    if (this.stopped) return;
    let path = this.path;
    if (client.cursor !== null) path += `&last_event_id=${encodeURIComponent(client.cursor)}`;
    if (this.waitS > 0) path += `&wait=${this.waitS}`;
    const extra = this.everyMs > 0 && client.etag !== null ? [['if-none-match', client.etag]] : [];
    client.request = http1Request(path, this.authority, POLL_HEADERS, extra);
    client.sentAt = performance.now();
    this.write(client);
  }

  write(client) {
    client.buf = null;
    this.tally.requests++;
    if (client.sock !== null && !client.sock.destroyed && client.sock.readyState === 'open') {
      client.sock.write(client.request);
      return;
    }
    const sock = this.connect((n, buf) => this.read(client, sock, n, buf));
    client.sock = sock;
    sock.once('connect', () => sock.write(client.request));
    sock.on('error', () => {}); // a reset is seen as 'close'
    sock.once('close', () => {
      if (client.sock === sock) client.sock = null;
      if (client.request !== null && !this.stopped) {
        this.retries++;
        this.write(client);
      }
    });
  }

  read(client, sock, n, buf) {
    let b = buf.subarray(0, n);
    if (client.buf !== null) b = Buffer.concat([client.buf, b]);
    const end = ClientGroup.headEnd(b);
    const head = end === -1 ? null : b.latin1Slice(0, end);
    const length = head === null ? -1 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (head === null || b.length < end + length) {
      client.buf = Buffer.from(b);
      return;
    }
    client.buf = null;
    client.request = null;
    const status = head.slice(9, 12);
    if (status === '200') {
      client.etag = /\r\netag: *([^\r]*)/i.exec(head)?.[1] ?? null;
      scanMarks(b, end, end + length, (seq, ts) => this.tally.update(client, seq, ts));
      const at = b.lastIndexOf(LAST_ID, end + length);
      if (at >= end) client.cursor = b.latin1Slice(at + LAST_ID.length, b.indexOf(0x22, at + LAST_ID.length));
    } else if (status !== '304') {
      this.tally.error(`poll answered ${head.split('\r\n')[0]}`);
    }
    if (/\r\nconnection: *close/i.test(head)) sock.end();
    if (client.onReady !== null) {
      const ready = client.onReady;
      client.onReady = null;
      if (status === '200') this.ready++;
      else this.refuse(head);
      ready();
      // Spread the clients' polls over the interval, as pages opened at different times do.
      client.due = performance.now() + Math.random() * this.everyMs;
    } else {
      client.due += this.everyMs;
    }
    this.schedule(client);
  }

  schedule(client) {
    if (this.stopped) return;
    if (this.waitS > 0) return this.send(client);
    const delay = Math.max(0, client.due - performance.now());
    if (delay === 0) client.due = performance.now(); // late (a slow answer): no burst to catch up
    client.timer = setTimeout(() => this.send(client), delay);
  }

  close() {
    this.stopped = true;
    for (const c of this.clients) clearTimeout(c.timer);
    super.close();
  }
}
