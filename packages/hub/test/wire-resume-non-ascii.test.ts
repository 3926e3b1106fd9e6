/**
 * Issue 10 item 2: real EventSource clients resume from ids outside ASCII with nothing missed
 * and nothing twice. Each stream ends after its lifetime, the client reconnects on its own with
 * `Last-Event-ID`, and the update published after the reconnect must be the only new one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventSource } from 'eventsource';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM } from './support/chromium.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';

const TOPIC = 'https://example.com/resume';
const IDS = ['café-1', '日本-1'];

async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('EventSource resumes from non-ASCII ids', () => {
  let fx: HubFixture;
  let browser: Browser;
  before(async () => {
    fx = await startHub({
      subscriptions: false,
      retryMs: 50,
      // Every stream ends after 700 ms: the clients reconnect with Last-Event-ID by themselves.
      limits: { maxStreamLifetimeMs: 700, lifetimeJitter: 0 },
      // The page the browser runs in, same origin as the hub.
      fallback: (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>resume</title>');
      },
    });
    browser = await chromium.launch(CHROMIUM);
  });
  after(async () => {
    await browser?.close();
    await fx.close();
  });

  /** Publishes `id` on `topic`, waits for the client's reconnect, publishes the next one: each seen once. */
  async function scenario(
    topic: string,
    id: string,
    received: () => Promise<string[]>,
    connections: () => Promise<number>,
  ): Promise<void> {
    await until(async () => (await connections()) >= 1, 'the first connection');
    const first = await connections();
    assert.equal((await fx.publish({ topic, data: `before ${id}`, id })).status, 200, 'published');
    await until(async () => (await received()).length >= 1, `the event ${id}`);
    await until(async () => (await connections()) > first, 'the reconnect with Last-Event-ID');
    const next = await fx.publish({ topic, data: `after ${id}`, id: `${id}+next` });
    assert.equal(next.status, 200, 'published');
    await until(async () => (await received()).includes(`after ${id}`), 'the event after the reconnect');
    assert.deepEqual(
      await received(),
      [`before ${id}`, `after ${id}`],
      `each event once, in order, for ${id}`,
    );
  }

  for (const id of IDS) {
    test(`the eventsource package (sending the id as UTF-8, as browsers do) resumes from ${id}`, async () => {
      const data: string[] = [];
      let connections = 0;
      const topic = `${TOPIC}/npm`;
      const source = new EventSource(`${fx.url}?match=${encodeURIComponent(topic)}`, {
        // WHATWG fetch sends header values as bytes; undici's ByteString conversion refuses code
        // points above 255, so the client is given the UTF-8 bytes a browser sends.
        fetch: (input, init) => {
          connections++;
          const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
          const last = headers['Last-Event-ID'];
          if (last !== undefined) headers['Last-Event-ID'] = Buffer.from(last, 'utf8').toString('latin1');
          return fetch(input, { ...init, headers });
        },
      });
      source.onmessage = (e: MessageEvent) => data.push(e.data as string);
      try {
        await scenario(
          topic,
          `npm ${id}`,
          async () => data,
          async () => connections,
        );
      } finally {
        source.close();
      }
    });

    test(`Chromium's EventSource resumes from ${id}`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${fx.port}/`);
        const topic = `${TOPIC}/chromium`;
        await page.evaluate(
          (url) => {
            const w = globalThis as unknown as { got: string[]; opens: number };
            w.got = [];
            w.opens = 0;
            const source = new EventSource(url);
            source.onopen = () => w.opens++;
            source.onmessage = (e) => w.got.push(e.data);
          },
          `/.well-known/mercure?match=${encodeURIComponent(topic)}`,
        );
        await scenario(
          topic,
          `chromium ${id}`,
          () => page.evaluate(() => [...(globalThis as unknown as { got: string[] }).got]),
          () => page.evaluate(() => (globalThis as unknown as { opens: number }).opens),
        );
      } finally {
        await page.close();
      }
    });
  }
});
