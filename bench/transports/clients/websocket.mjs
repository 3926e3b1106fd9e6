// new WebSocket() as Chromium opens it (its handshake headers, the cookie), on raw sockets: the
// 101 head, then server frames walked one by one (unmasked; 2, 4 or 10 header bytes). Text
// frames are scanned for updates, a ping gets its pong (masked, as a client must), and a frame cut
// by the end of a read waits for the next one.
import { scanMarks } from '../marks.mjs';
import { http1Request, WS_HEADERS } from '../wire.mjs';
import { ClientGroup } from './group.mjs';

export class WebSocketClients extends ClientGroup {
  open(client, done) {
    const request = http1Request(this.path, this.authority, WS_HEADERS);
    client.head = null;
    client.pending = null;
    const onMark = (seq, ts) => this.tally.update(client, seq, ts);
    const sock = this.connect((n, buf) => {
      let b = buf.subarray(0, n);
      if (client.pending !== null) {
        b = Buffer.concat([client.pending, b]);
        client.pending = null;
      }
      let at = 0;
      if (client.head !== true) {
        const end = ClientGroup.headEnd(b);
        if (end === -1) {
          client.pending = Buffer.from(b);
          return;
        }
        const head = b.latin1Slice(0, end);
        client.head = true;
        if (head.startsWith('HTTP/1.1 101')) this.ready++;
        else this.refuse(head);
        done();
        at = end;
      }
      at = this.frames(client, sock, b, at, onMark);
      if (at < b.length) client.pending = Buffer.from(b.subarray(at));
    });
    client.sock = sock;
    sock.once('connect', () => {
      this.tally.requests++;
      sock.write(request);
    });
    sock.on('error', (e) => this.tally.error(`websocket: ${e.message}`));
    sock.on('close', () => {
      if (client.head !== true) this.refuse('closed before the response head');
      else this.closed++;
      done();
    });
  }

  /** Handles the complete frames in b from `at`; returns where the first incomplete one starts. */
  frames(client, sock, b, at, onMark) {
    while (b.length - at >= 2) {
      const op = b[at] & 0x0f;
      let len = b[at + 1] & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (b.length - at < 4) break;
        len = b.readUInt16BE(at + 2);
        hdr = 4;
      } else if (len === 127) {
        if (b.length - at < 10) break;
        len = b.readUInt32BE(at + 6);
        hdr = 10;
      }
      if (b.length - at < hdr + len) break;
      const p = at + hdr;
      if (op === 1 || op === 0) scanMarks(b, p, p + len, onMark);
      else if (op === 9) sock.write(pong(b.subarray(p, p + len)));
      else if (op === 8) client.closeCode = len >= 2 ? b.readUInt16BE(p) : 1005;
      at = p + len;
    }
    return at;
  }
}

/** A pong carrying the ping's payload, masked with a zero key (XOR with zeros leaves it as is). */
function pong(payload) {
  return Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}
