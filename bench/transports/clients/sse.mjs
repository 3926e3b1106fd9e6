// EventSource over HTTP/1.1: one GET per client with the browser's headers, then the stream read
// from raw sockets; updates found by their marker (SSE framing and chunk sizes are skipped over).
import { scanStream } from '../marks.mjs';
import { http1Request, SSE_HEADERS } from '../wire.mjs';
import { ClientGroup } from './group.mjs';

export class SseClients extends ClientGroup {
  open(client, done) {
    const request = http1Request(this.path, this.authority, SSE_HEADERS);
    client.head = null;
    client.carry = null;
    const onMark = (seq, ts) => this.tally.update(client, seq, ts);
    const sock = this.connect((n, buf) => {
      if (client.head !== true) {
        const b =
          client.head === null ? buf.subarray(0, n) : Buffer.concat([client.head, buf.subarray(0, n)]);
        const end = ClientGroup.headEnd(b);
        if (end === -1) {
          client.head = Buffer.from(b);
          return;
        }
        const head = b.latin1Slice(0, end);
        client.head = true;
        if (head.startsWith('HTTP/1.1 200')) this.ready++;
        else this.refuse(head);
        done();
        client.carry = scanStream(null, b, end, b.length, onMark);
        return;
      }
      client.carry = scanStream(client.carry, buf, 0, n, onMark);
    });
    client.sock = sock;
    sock.once('connect', () => {
      this.tally.requests++;
      sock.write(request);
    });
    sock.on('error', (e) => this.tally.error(`sse: ${e.message}`));
    sock.on('close', () => {
      if (client.head !== true) this.refuse('closed before the response head');
      else this.closed++;
      done();
    });
  }
}
