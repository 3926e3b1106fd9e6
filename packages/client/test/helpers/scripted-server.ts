import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BLANK_PAGE, clientBundle } from './client-hub.js';

/** One answer of a scripted stream. */
export interface Answer {
  readonly status?: number;
  /** Default text/event-stream. */
  readonly type?: string;
  /** Sent, then the response ends (unless `destroy`). */
  readonly body?: string | Uint8Array;
  /** Write the body one byte at a time. */
  readonly bytes?: boolean;
  /**
   * Destroy the socket after the body: a network error. `true` destroys it 20 ms later;
   * `'after-event'` once the page reports (via `/ack/<name>`) that it has dispatched an event of
   * this response. The fence matters for fetch-based clients: a body stream that errors drops the
   * chunks the page has not read yet (Streams: ReadableStreamError empties the queue), so on a
   * loaded machine a timed destroy can overtake the event it follows.
   */
  readonly destroy?: boolean | 'after-event';
  /** Answer with this status redirecting to `location`. */
  readonly location?: string;
}

export interface Seen {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A loopback server playing scripted event streams: the n-th request to `/s/<name>` gets the
 * n-th answer of the script registered under that name, and `204` once the script is done (which
 * stops both EventSource implementations). Serves a blank page and the client bundle too.
 */
export async function startScriptedServer() {
  const js = await clientBundle();
  const scripts = new Map<string, Answer[]>();
  const seen = new Map<string, Seen[]>();
  const acks = new Map<string, () => void>();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      return;
    }
    if (path.startsWith('/ack/')) {
      acks.get(decodeURIComponent(path.slice(5)))?.();
      res.writeHead(204).end();
      return;
    }
    if (!path.startsWith('/s/')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(BLANK_PAGE);
      return;
    }
    const name = decodeURIComponent(path.slice(3));
    const log = seen.get(name) ?? [];
    seen.set(name, log);
    log.push({ at: Date.now(), headers: req.headers });
    const a = scripts.get(name)?.[log.length - 1];
    if (a === undefined) {
      res.writeHead(204).end();
      return;
    }
    if (a.location !== undefined) {
      res.writeHead(a.status ?? 302, { location: a.location }).end();
      return;
    }
    res.writeHead(a.status ?? 200, {
      'content-type': a.type ?? 'text/event-stream',
      'cache-control': 'no-store',
    });
    res.flushHeaders();
    const body =
      typeof a.body === 'string' || a.body === undefined
        ? Buffer.from(a.body ?? '', 'utf8')
        : Buffer.from(a.body);
    if (a.bytes) {
      for (const b of body) {
        res.write(Buffer.of(b));
        await new Promise((r) => setTimeout(r, 1));
      }
    } else if (body.length > 0) {
      res.write(body);
    }
    if (a.destroy === 'after-event') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        acks.set(name, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      acks.delete(name);
      res.socket?.destroy();
    } else if (a.destroy) {
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
    } else {
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    script(name: string, answers: Answer[]): string {
      scripts.set(name, answers);
      return `/s/${encodeURIComponent(name)}`;
    },
    seen: (name: string): Seen[] => seen.get(name) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
