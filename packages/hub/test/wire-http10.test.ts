/**
 * Issue 10 item 3: a subscribe with an HTTP/1.0 request line (every request from an nginx with
 * its default `proxy_http_version 1.0`) gets a close-delimited stream without chunked coding,
 * on the raw intake and on node:http; versions the hub does not speak get 505 on both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NGINX, type NginxProxy, startNginxProxy } from '@tidings/test-support';
import { EventSourceClient } from './support/event-source-client.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { type RawResponse, rawExchange } from './support/raw-http.js';

const TOPIC = 'https://example.com/http10';
const QUERY = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;
/** The raw intake takes a plain head; a repeated header leaves the request to node:http. */
const PATHS = { 'raw intake': [] as string[], 'node:http': ['X-Twice: 1', 'X-Twice: 2'] } as const;

function request(line: string, extra: readonly string[]): string {
  return [line, 'Host: 127.0.0.1', ...extra, '', ''].join('\r\n');
}

describe('HTTP/1.0 subscribers', () => {
  let fx: HubFixture;
  before(async () => {
    // Streams end after a second, so the close that delimits the body is seen.
    fx = await startHub({ subscriptions: false, limits: { maxStreamLifetimeMs: 1000, lifetimeJitter: 0 } });
  });
  after(() => fx.close());

  for (const [path, extra] of Object.entries(PATHS)) {
    test(`an HTTP/1.0 subscribe gets a close-delimited stream on the ${path} path`, async () => {
      let parsed = 0;
      // The publish below is a request too: only subscribes count.
      const count = (req: { method?: string }) => {
        if (req.method === 'GET') parsed++;
      };
      fx.hub.server.on('request', count);
      let published = false;
      const r = await rawExchange(
        fx.port,
        [request(`GET ${QUERY} HTTP/1.0`, [...extra, 'Connection: close'])],
        {
          timeoutMs: 5000,
          stopWhen: (x) => {
            if (!published && x.body.includes('retry:')) {
              published = true;
              void fx.publish({ topic: TOPIC, data: `over ${path}`, id: `h10-${path}` });
            }
            return false;
          },
        },
      );
      fx.hub.server.off('request', count);
      assert.equal(parsed, path === 'raw intake' ? 0 : 1, `served on the ${path} path`);
      assert.equal(r.status, 200, `a stream: ${r.raw.toString('latin1').slice(0, 300)}`);
      assert.equal(r.headers['transfer-encoding'], undefined, 'no chunked coding to an HTTP/1.0 client');
      assert.equal(r.headers.connection, 'close', 'the connection closes after the body');
      assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8', 'an event stream');
      assert.ok(r.closed, 'the hub closed the connection at the end of the stream');
      assert.match(
        r.body,
        /^retry: \d+\n\nid: h10-[^\n]+\ndata: over [^\n]+\n\n$/,
        `unframed events only: ${JSON.stringify(r.body)}`,
      );
    });

    const lines = {
      'HTTP/2.0': `GET ${QUERY} HTTP/2.0`,
      'HTTP/0.9': `GET ${QUERY} HTTP/0.9`,
      'no version': `GET ${QUERY}`,
    };
    for (const [version, line] of Object.entries(lines)) {
      test(`${version} is answered 505 on the ${path} path`, async () => {
        const r: RawResponse = await rawExchange(fx.port, [request(line, extra)], {
          stopWhen: (x) =>
            x.status !== undefined && Buffer.byteLength(x.body) >= Number(x.headers['content-length']),
        });
        assert.equal(r.status, 505, `505 for ${line}: ${r.raw.toString('latin1').slice(0, 300)}`);
        assert.match(r.body, /"code":"http_version_not_supported"/, 'the problem code');
      });
    }
  }
});

describe('behind a default nginx reverse proxy', {
  skip: !(await import('node:fs')).existsSync(NGINX) && 'no nginx',
}, () => {
  let fx: HubFixture;
  let proxy: NginxProxy;
  before(async () => {
    fx = await startHub({ subscriptions: false });
    proxy = await startNginxProxy(fx.port);
  });
  after(async () => {
    await proxy.close();
    await fx.close();
  });

  test('EventSource through nginx (proxy_http_version 1.0) receives live updates', async () => {
    const client = new EventSourceClient(`http://127.0.0.1:${proxy.port}${QUERY}`);
    try {
      await client.opened();
      assert.equal(client.responses[0]?.status, 200, 'the stream opened through nginx');
      assert.equal(
        (await fx.publish({ topic: TOPIC, data: 'via nginx', id: 'ngx-1' })).status,
        200,
        'published',
      );
      const [event] = await client.waitFor(1);
      assert.deepEqual(
        event,
        { type: 'message', data: 'via nginx', lastEventId: 'ngx-1' },
        'the event arrived',
      );
    } finally {
      client.close();
    }
  });
});
