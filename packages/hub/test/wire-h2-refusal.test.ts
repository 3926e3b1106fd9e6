import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type ClientHttp2Session, connect, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHub } from '../src/hub.js';
import { SIGNED_HUB } from './support/sign-token.js';

/**
 * A refusal over node:http2 (compat API) sent before the client has finished its body must
 * still reach the client whole: the stream may not be reset under the upload (RFC 9113 8.1).
 * The client here sends the request head, reads the answer, and only then sends the body, which
 * is the order a loaded machine produces by chance (curl reported "stream error", code 92).
 */
describe('HTTP/2 refusals while the client is still uploading', { timeout: 10_000 }, () => {
  it('a 401 to an unauthenticated publish: the stream stays open for the rest of the body', async () => {
    const hub = await createHub({ ...SIGNED_HUB, heartbeatMs: 0 });
    const server = createServer((req, res) => hub.handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let session: ClientHttp2Session | undefined;
    try {
      session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const stream = session.request(
        {
          ':method': 'POST',
          ':path': '/.well-known/mercure',
          'content-type': 'application/x-www-form-urlencoded',
        },
        { endStream: false },
      );
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
      assert.equal(headers[':status'], 401, 'the refusal');
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        body += d;
      });
      const errors: unknown[] = [];
      stream.on('error', (e: Error) => errors.push(e));
      // The server has answered. A premature reset is sent with the end of its answer; a PING
      // sent now is acknowledged after it (frames of one connection arrive in order), so once
      // the acknowledgement is in, such a reset has been processed: a fence, not a sleep.
      await once(stream, 'end');
      await new Promise<void>((resolve, reject) =>
        session!.ping((err) => (err === null ? resolve() : reject(err))),
      );
      assert.equal(stream.closed, false, 'the server did not close the stream under the upload');
      const closed = once(stream, 'close');
      stream.end('topic=x&data=x');
      await closed;
      assert.equal(stream.rstCode, 0, 'the stream ended with NO_ERROR');
      assert.deepEqual(errors, []);
      assert.equal(JSON.parse(body).code, 'missing_token', `a whole problem body: ${body}`);
    } finally {
      session?.close();
      await hub.close();
      server.close();
    }
  });
});
