// EventSource over HTTP/2 with prior knowledge (h2c), one connection per client as one browser
// has per origin: node:http2 on a socket we open (createConnection), so its bytes are counted at
// that socket, frame headers, HPACK and SETTINGS/WINDOW_UPDATE included. The browser's headers go
// in the one HEADERS frame; each DATA chunk is scanned for updates.
import http2 from 'node:http2';
import net from 'node:net';
import { scanStream } from '../marks.mjs';
import { h2Request, SSE_HEADERS } from '../wire.mjs';
import { ClientGroup } from './group.mjs';

/** Chromium's connection window (15 MB): flow control never stalls a reading stream. */
const CONNECTION_WINDOW = 15 * 1024 * 1024;

export class H2SseClients extends ClientGroup {
  open(client, done) {
    client.carry = null;
    const session = http2.connect(`http://${this.authority}`, {
      settings: { enablePush: false },
      createConnection: () => {
        const sock = net.connect({ host: this.host, port: this.port });
        sock.setNoDelay(true);
        this.tally.track(sock);
        return sock;
      },
    });
    client.sock = session;
    session.on('error', (e) => this.tally.error(`h2: ${e.message}`));
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
    const stream = session.request(h2Request(this.path, this.authority, SSE_HEADERS));
    this.tally.requests++;
    const onMark = (seq, ts) => this.tally.update(client, seq, ts);
    let answered = false;
    stream.on('response', (headers) => {
      answered = true;
      if (headers[':status'] === 200) this.ready++;
      else this.refuse(`HTTP/2 ${headers[':status']}`);
      done();
    });
    stream.on('data', (chunk) => {
      client.carry = scanStream(client.carry, chunk, 0, chunk.length, onMark);
    });
    stream.on('error', (e) => this.tally.error(`h2 stream: ${e.message}`));
    stream.on('close', () => {
      if (!answered) this.refuse('h2 stream closed before its response');
      else this.closed++;
      done();
    });
  }
}
