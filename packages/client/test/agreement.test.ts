import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../../../apps/picture-frame/test/helpers/chromium.js';
import { type Answer, startScriptedServer } from './helpers/scripted-server.js';
import { TYPES, VECTORS, vectorBytes } from './helpers/vectors.js';

// Chromium's own EventSource and TidingsEventSource, side by side on the same scripted streams:
// the parsing rules (vectors, whole and one byte at a time, and the parser alone at every split
// into two and three chunks) and the connection rules must give the same events and states.

type Kind = 'native' | 'tidings';
interface Record {
  readonly log: string[];
  readonly state: number;
}

const T = 30_000;

/** In the page: opens one source, logs opens, errors (with readyState) and events, until CLOSED. */
function collect(page: Page, kind: Kind, url: string, ack = false): Promise<Record> {
  return page.evaluate(
    ({ kind, url, types, T, ack }) =>
      new Promise<Record>((resolve) => {
        const w = window as unknown as { T: typeof import('../src/index.js') };
        const es: EventSource =
          kind === 'native'
            ? new EventSource(url)
            : (new w.T.TidingsEventSource(url, { share: false, cursor: false }) as unknown as EventSource);
        const log: string[] = [];
        const done = () => {
          es.close();
          resolve({ log, state: es.readyState });
        };
        const timer = setTimeout(done, T);
        es.onopen = () => log.push('open');
        es.onerror = () => {
          log.push(`error ${es.readyState}`);
          if (es.readyState === EventSource.CLOSED) {
            clearTimeout(timer);
            done();
          }
        };
        for (const t of types) {
          es.addEventListener(t, (e) => {
            const m = e as MessageEvent<string>;
            log.push(JSON.stringify([m.type, m.data, m.lastEventId, m.origin]));
            // The scripted server's fence for `destroy: 'after-event'`.
            if (ack) void fetch(url.replace('/s/', '/ack/'), { method: 'POST' }).catch(() => {});
          });
        }
      }),
    { kind, url, types: TYPES, T, ack },
  );
}

describe('TidingsEventSource agrees with Chromium’s EventSource', { timeout: 240_000 }, () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof startScriptedServer>>;

  before(async () => {
    server = await startScriptedServer();
    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage();
    await page.goto(server.origin);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Runs the script through both clients (each its own copy), compares logs and request headers. */
  async function agree(name: string, answers: Answer[] | ((k: Kind) => Answer[])) {
    const script = (k: Kind) => (typeof answers === 'function' ? answers(k) : answers);
    const urls = (['native', 'tidings'] as const).map((k) => server.script(`${name} (${k})`, script(k)));
    const ack = (['native', 'tidings'] as const).some((k) =>
      script(k).some((a) => a.destroy === 'after-event'),
    );
    const [native, tidings] = await Promise.all([
      collect(page, 'native', urls[0]!, ack),
      collect(page, 'tidings', urls[1]!, ack),
    ]);
    assert.equal(native.state, 2, `${name}: the native source ended closed (${native.log})`);
    assert.deepEqual(tidings, native, `${name}: same events and states as the native source`);
    const headers = (k: Kind) =>
      server.seen(`${name} (${k})`).map((s) => [s.headers['accept'], s.headers['last-event-id']]);
    assert.deepEqual(headers('tidings'), headers('native'), `${name}: same Accept and Last-Event-ID headers`);
    return { native, seen: (k: Kind) => server.seen(`${name} (${k})`) };
  }

  it('parsing vectors, sent whole and one byte at a time', async () => {
    await Promise.all(
      Object.entries(VECTORS).flatMap(([name, v]) => [
        agree(`${name}, whole`, [{ body: vectorBytes(v) }]),
        agree(`${name}, bytes`, [{ body: vectorBytes(v), bytes: true }]),
      ]),
    );
  });

  it('the parser alone at every split into two and three chunks gives the native events', async () => {
    const oracle = await Promise.all(
      Object.entries(VECTORS).map(([name, v]) =>
        collect(page, 'native', server.script(`${name} (native, oracle)`, [{ body: vectorBytes(v) }])),
      ),
    );
    for (const [n, [name, v]] of Object.entries(VECTORS).entries()) {
      const native = oracle[n]!.log.filter((l) => l.startsWith('['));
      const bytes = [...vectorBytes(v)];
      const mismatches = await page.evaluate(
        ({ bytes, native, origin }) => {
          const w = window as unknown as { T: typeof import('../src/index.js') };
          const run = (cuts: number[]) => {
            const out: string[] = [];
            const p = new w.T.EventStreamParser(
              '',
              (e) => {
                if (e.data !== undefined) out.push(JSON.stringify([e.type, e.data, e.lastEventId, origin]));
              },
              () => {},
            );
            let from = 0;
            for (const c of [...cuts, bytes.length]) {
              p.feed(Uint8Array.from(bytes.slice(from, c)));
              from = c;
            }
            return out;
          };
          const bad: string[] = [];
          const want = JSON.stringify(native);
          for (let i = 0; i <= bytes.length; i++) {
            for (let j = i; j <= bytes.length; j++) {
              if (JSON.stringify(run([i, j])) !== want) bad.push(`${i},${j}`);
            }
          }
          if (JSON.stringify(run(bytes.map((_, k) => k))) !== want) bad.push('bytes');
          return bad;
        },
        { bytes, native, origin: server.origin },
      );
      assert.deepEqual(mismatches, [], `${name}: every chunking agrees with the native events ${native}`);
    }
  });

  it('connection rules', async () => {
    const ev = 'id: 1\ndata: a\n\n';
    await Promise.all([
      // "fail the connection": a status other than 200, or another content type; 204 too.
      agree('500', [{ status: 500, body: ev }]),
      agree('404', [{ status: 404, body: ev }]),
      agree('204', [{ status: 204 }]),
      agree('text/plain', [{ type: 'text/plain', body: ev }]),
      agree('no content type', [{ type: '', body: ev }]),
      agree('a parameter is fine', [{ type: 'text/event-stream; charset=utf-8', body: ev }]),
      agree('case does not matter', [{ type: 'Text/Event-Stream', body: ev }]),
      // "reestablish the connection": the end of the stream, a network error; then Last-Event-ID.
      agree('the end of the stream', [{ body: `retry: 300\n${ev}` }, { body: 'data: b\n\n' }]).then((r) => {
        for (const k of ['native', 'tidings'] as const) {
          const [first, second] = r.seen(k);
          assert.ok(second!.at - first!.at >= 250, `${k}: reconnected after the reconnection time (300 ms)`);
        }
      }),
      agree('a network error', [
        { body: `retry: 100\n${ev}`, destroy: 'after-event' },
        { body: 'data: b\n\n' },
      ]),
      agree('a network error before any event', [{ body: 'retry: 100\n\n', destroy: true }, { body: ev }]),
      agree('an error status after a reconnection fails for good', [
        { body: `retry: 100\n${ev}` },
        { status: 503, body: ev },
      ]),
      // Redirects are followed (the origin stays: same server).
      agree('302', (k) => [{ location: server.script(`moved 302 ${k}`, [{ body: 'data: moved\n\n' }]) }]),
      agree('307', (k) => [
        { status: 307, location: server.script(`moved 307 ${k}`, [{ body: 'data: moved\n\n' }]) },
      ]),
    ]);
  });
});
