// One keep-alive publish connection: writes pre-built POST requests (several per write when
// more than one is due, i.e. HTTP/1.1 pipelining) and counts the responses, parsing just enough
// HTTP to find where each response ends (Content-Length or chunked).
import net from 'node:net';
import { nowMs } from './clock.mjs';
import { buildRequestTemplate, stampRequest } from './payload.mjs';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

export class Publisher {
  /**
   * @param {object} o
   * @param {string} o.host
   * @param {number} o.port
   * @param {{path: string, contentType: string, bodyPrefix: string}} o.publish
   * @param {number} o.epochMs the load generator's epoch on clock.mjs's clock: payload times count from it
   */
  constructor({ host, port, publish, epochMs, localAddress }) {
    this.host = host;
    this.port = port;
    this.localAddress = localAddress;
    this.tpl = buildRequestTemplate({ host, port, publish });
    this.epochMs = epochMs;
    this.nextSeq = 1;
    this.outstanding = 0;
    this.responses = 0;
    this.errors = 0;
    this.firstError = null;
    this.closed = false;
    this.onResponse = () => {};
    this.pending = null;
    this.state = 0; // 0 head, 1 body by length, 2 chunk size line, 3 chunk data, 4 final CRLF
    this.remaining = 0;
    this.status = 0;
    this.errorBody = null;
  }

  connect() {
    // Also used to reconnect after the server closed an idle keep-alive connection.
    this.closed = false;
    this.pending = null;
    this.state = 0;
    this.outstanding = 0;
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress });
      sock.setNoDelay(true);
      sock.once('connect', () => resolve());
      sock.once('error', (e) => {
        this.noteError(`publish connection: ${e.message}`);
        reject(e);
      });
      sock.on('data', (chunk) => this.onData(chunk));
      sock.on('close', () => {
        if (this.sock !== sock) return;
        this.closed = true;
        if (this.outstanding > 0)
          this.noteError(`publish connection closed with ${this.outstanding} pending`);
        this.onResponse();
      });
      this.sock = sock;
    });
  }

  /** Sends `count` updates in one write; returns the first sequence number used. */
  send(count) {
    const len = this.tpl.bytes.length;
    const buf = Buffer.allocUnsafe(len * count);
    const first = this.nextSeq;
    const tsUs = Math.round((nowMs() - this.epochMs) * 1000);
    for (let i = 0; i < count; i++) stampRequest(buf, i * len, this.tpl, first + i, tsUs);
    this.nextSeq += count;
    this.outstanding += count;
    this.sock.write(buf);
    return first;
  }

  noteError(message) {
    this.errors++;
    if (this.firstError === null) this.firstError = message;
  }

  close() {
    this.sock?.destroy();
  }

  onData(chunk) {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const len = buf.length;
    let pos = 0;
    let done = 0;
    for (;;) {
      if (this.state === 0) {
        const end = buf.indexOf(CRLFCRLF, pos);
        if (end === -1) break;
        const head = buf.latin1Slice(pos, end);
        this.status = Number(head.slice(9, 12));
        pos = end + 4;
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
          this.state = 2;
        } else {
          this.remaining = cl ? Number(cl[1]) : 0;
          this.state = 1;
        }
        if (this.status < 200 || this.status > 299) this.errorBody = `HTTP ${this.status}: `;
        continue;
      }
      if (this.state === 1 || this.state === 3) {
        const take = Math.min(this.remaining, len - pos);
        if (this.errorBody !== null) this.errorBody += buf.latin1Slice(pos, pos + take);
        pos += take;
        this.remaining -= take;
        if (this.remaining > 0) break;
        if (this.state === 3) {
          this.state = 2;
          continue;
        }
        this.finishResponse();
        done++;
        continue;
      }
      if (this.state === 2) {
        const end = buf.indexOf(CRLF, pos);
        if (end === -1) break;
        const size = Number.parseInt(buf.latin1Slice(pos, end), 16);
        pos = end + 2;
        if (size === 0) {
          this.state = 4;
        } else {
          this.remaining = size + 2; // data + CRLF
          this.state = 3;
        }
        continue;
      }
      // state 4: the empty line after the last chunk (we send no TE header, so no trailers).
      if (len - pos < 2) break;
      pos += 2;
      this.finishResponse();
      done++;
    }
    if (pos < len) this.pending = Buffer.from(buf.subarray(pos));
    if (done > 0) this.onResponse();
  }

  finishResponse() {
    this.state = 0;
    this.outstanding--;
    this.responses++;
    if (this.errorBody !== null) {
      this.noteError(this.errorBody.trim().slice(0, 300));
      this.errorBody = null;
    }
  }
}
