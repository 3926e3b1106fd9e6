import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createHub, type Hub, type HubOptions } from '@tidings/hub';
import { build } from 'esbuild';

/** The key of the hubs these tests start (HS256, 0.x `mercure` claim tokens). */
export const SECRET = 'client-tests-secret-of-at-least-32-bytes!';
export const TOPIC = 'https://example.com/feed';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An HS256 token with a 0.x `mercure` claim, expiring in `ttlSeconds`. */
export function token(rights: { subscribe?: string[]; publish?: string[] }, ttlSeconds = 3600): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    mercure: rights,
    exp: Math.floor(Date.now() / 1000) + ttlSeconds,
  })}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

let bundle: Promise<string> | undefined;

/** The client from its sources, as one ES module for a page (esbuild, not minified). */
export function clientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

/** A blank page that loads the client as `window.T`, and sets `window.ready`. */
export const BLANK_PAGE =
  '<!doctype html><meta charset="utf-8">' +
  // tsx compiles the tests' page functions with esbuild's keepNames, which calls __name.
  '<script>window.__name = (f) => f;</script>' +
  '<script type="module">import * as T from "/client.js"; window.T = T; window.ready = true;</script>';

export interface ClientHub {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** The hub's subscribe URL for TOPIC, from its start (lastEventID=earliest not included). */
  readonly topicUrl: string;
  readonly hub: Hub;
  publish(data: string, topic?: string): Promise<string>;
  /** Closes the hub and starts a new one on the same port: memory history is gone. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real hub on a loopback port, serving the test pages and the client bundle from the same
 * origin (its `fallback`), so a page subscribes without CORS.
 */
export async function startClientHub(
  options: HubOptions = {},
  pages: Record<string, string | ((req: IncomingMessage, res: ServerResponse, url: URL) => void)> = {},
): Promise<ClientHub> {
  const js = await clientBundle();
  const fallback = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const page = pages[url.pathname];
    if (url.pathname === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(js);
    } else if (typeof page === 'function') {
      page(req, res, url);
    } else if (url.pathname === '/' || page !== undefined) {
      res
        .writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
        .end(page ?? BLANK_PAGE);
    } else {
      res.writeHead(404).end();
    }
  };
  const make = () =>
    createHub({
      heartbeatMs: 0,
      retryMs: 200,
      anonymous: true,
      publisherKeys: [SECRET],
      ...options,
      fallback,
      limits: { publishRatePerSecond: 0, ...options.limits },
    });
  let hub = await make();
  const { port } = await hub.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${port}`;
  const publisher = token({ publish: ['*'] }, 24 * 3600);
  return {
    origin,
    topicUrl: `${origin}/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`,
    get hub() {
      return hub;
    },
    async publish(data, topic = TOPIC) {
      const res = await fetch(`${origin}/.well-known/mercure`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Bearer ${publisher}`,
        },
        body: new URLSearchParams({ topic, data }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`publish: HTTP ${res.status} ${text}`);
      return text;
    },
    async restart() {
      await hub.close();
      hub = await make();
      await hub.listen(port, '127.0.0.1');
    },
    close: () => hub.close(),
  };
}
