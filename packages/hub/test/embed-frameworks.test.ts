import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type HttpBindings, serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createHub, type Hub } from '../src/hub.js';
import type { Update } from '../src/model/update.js';
import { curlPublish, embedScenario, TOPIC } from './support/embed-scenario.js';
import { publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';

const newHub = () => createHub({ ...SIGNED_HUB, heartbeatMs: 0 });

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closing(server: Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}

const appRoute = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('app');
};

describe('embedding: one hub, mounted many ways', { timeout: 120_000 }, () => {
  it('node:http request listener, the app answering the rest through `next`', async () => {
    const hub = await newHub();
    const server = createServer((req, res) => hub.handler(req, res, () => appRoute(req, res)));
    await embedScenario({ hub, base: await listening(server), close: closing(server) });
  });

  it('Express: app.use at /.well-known/mercure', async () => {
    const hub = await newHub();
    const app = express();
    app.get('/app', (_req, res) => {
      res.type('text/plain').send('app');
    });
    app.use('/.well-known/mercure', hub.handler);
    const server = createServer(app);
    await embedScenario({ hub, base: await listening(server), close: closing(server) });
  });

  it('Fastify: a route handing over the raw request and response', async () => {
    const hub = await newHub();
    const app = Fastify();
    app.get('/app', async () => 'app');
    await app.register(async (scope) => {
      // The hub reads its own form bodies: Fastify leaves them unparsed in this scope.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      scope.all('/.well-known/mercure', (request, reply) => {
        reply.hijack();
        hub.handler(request.raw, reply.raw);
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    await embedScenario({
      hub,
      base: `http://127.0.0.1:${port}`,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    });
  });

  it('Hono on @hono/node-server: the Fetch handler, with a streaming Response', async () => {
    const hub = await newHub();
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.get('/app', (c) => c.text('app'));
    app.all('/.well-known/mercure/*', (c) =>
      hub.fetch(c.req.raw, { remoteAddress: c.env.incoming.socket.remoteAddress }),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await embedScenario({ hub, base: `http://127.0.0.1:${port}`, close: closing(server) });
  });

  it('attach() to an existing server: streams on the raw socket, the app and its upgrades untouched', async () => {
    const hub = await newHub();
    const server = createServer(appRoute);
    // The app's own upgrade handling (a WebSocket server would sit here).
    server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
    });
    hub.attach(server);
    const base = await listening(server);
    let viaNodeHttp = 0;
    server.on('request', (req: IncomingMessage) => {
      // Anonymous subscribes (the plain case the raw path serves, as on the hub's own server).
      const url = req.url ?? '';
      if (
        req.method === 'GET' &&
        url.startsWith('/.well-known/mercure?') &&
        !url.includes('authorization=')
      ) {
        viaNodeHttp++;
      }
    });
    const upgraded = await new Promise<string>((resolve, reject) => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
        socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n'),
      );
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
      });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    assert.match(upgraded, /^HTTP\/1\.1 101 /, 'the app still answers its upgrades');
    await embedScenario({
      hub,
      base,
      close: async () => {
        assert.equal(
          viaNodeHttp,
          0,
          'the anonymous subscribes were served on the raw socket, not by node:http',
        );
        await closing(server)();
      },
    });
  });

  it('node:http2 compatibility API: curl subscribes and publishes over HTTP/2', async () => {
    const hub = await newHub();
    const server = createH2Server((req, res) =>
      hub.handler(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('app');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/mercure`;
    const h2 = ['--http2-prior-knowledge'];
    const token = await subscriberToken([TOPIC]);
    const curl = spawn('curl', [
      '-sSN',
      ...h2,
      '-w',
      '\nhttp_version=%{http_version}\n',
      `${hubUrl}?match=${encodeURIComponent(TOPIC)}&authorization=${token}`,
    ]);
    let out = '';
    curl.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      const pub = await publisherToken([TOPIC]);
      // The subscription is registered once the hub lists it.
      const deadline = Date.now() + 10_000;
      while (hub.subscriberCount === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(hub.subscriberCount, 1, 'curl subscribed over HTTP/2');
      const one = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=one'], pub, h2);
      assert.equal(one.code, 200, `publish over HTTP/2: ${one.body}`);
      const secret = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=secret', 'private=on'], pub, h2);
      assert.equal(secret.code, 200, `private publish over HTTP/2: ${secret.body}`);
      const refused = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=x'], undefined, h2);
      assert.equal(refused.code, 401, 'a problem answer over HTTP/2 (no connection header)');
      // Resume after `one`: the private update again, for the token holder.
      const resumed = await curlPublishLess(
        `${hubUrl}?match=${encodeURIComponent(TOPIC)}&authorization=${token}&lastEventID=${encodeURIComponent(one.body)}`,
        h2,
        hub,
      );
      assert.match(
        resumed,
        new RegExp(`id: ${secret.body}\\ndata: secret\\n`),
        `resume over HTTP/2: ${resumed}`,
      );
      await hub.close();
      const [code] = (await once(curl, 'exit')) as [number];
      assert.equal(code, 0, 'close() ended the HTTP/2 stream cleanly');
      assert.match(out, /id: [^\n]+\ndata: one\n\n[\s\S]*data: secret\n/, `curl got both: ${out}`);
      assert.match(out, /http_version=2\n/, 'it really was HTTP/2');
    } finally {
      curl.kill();
      server.close();
    }
  });

  it('in-process subscribe: the same routing, resume from history, private updates included', async () => {
    const hub = await newHub();
    const got: Update[] = [];
    const sub = await hub.subscribe(TOPIC, (u) => got.push(u));
    const a = await hub.publish({ topics: [TOPIC], data: 'a' });
    await hub.publish({ topics: ['https://example.com/other'], data: 'not mine' });
    const b = await hub.publish({ topics: [TOPIC], data: 'b', private: true });
    assert.deepEqual(
      got.map((u) => u.data),
      ['a', 'b'],
      'delivered in order, other topics not, private included',
    );
    assert.equal(sub.lastEventId, b, 'the subscription knows where it is');
    sub.close();
    await hub.publish({ topics: [TOPIC], data: 'after close' });
    assert.equal(got.length, 2, 'nothing after close()');
    const replayed: string[] = [];
    await hub.subscribe(
      new URLSearchParams({ match_urlpattern: 'https://example.com/books/:id' }),
      (u) => replayed.push(u.data),
      { lastEventId: a },
    );
    assert.deepEqual(replayed, ['b', 'after close'], 'a URL pattern, resumed after the first id');
    await assert.rejects(
      hub.publish({ topics: [], data: 'x' }),
      (e: Error & { code?: string }) => e.code === 'missing_topic',
      'in-process publishes are validated as HTTP ones',
    );
    await hub.close();
  });
});

/** A resume read with curl: what the stream sends until the hub has written it (then curl is stopped). */
async function curlPublishLess(url: string, extra: string[], hub: Hub): Promise<string> {
  const before = hub.subscriberCount;
  const curl = spawn('curl', ['-sSN', ...extra, url]);
  let out = '';
  curl.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!/data: secret\n\n/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  curl.kill();
  await once(curl, 'exit');
  assert.ok(hub.subscriberCount >= before, 'the hub still serves the first subscriber');
  return out;
}
