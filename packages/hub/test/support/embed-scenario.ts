import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Hub } from '../../src/hub.js';
import { EventSourceClient } from './event-source-client.js';
import { publisherToken, subscriberToken } from './sign-token.js';

const run = promisify(execFile);

export const TOPIC = 'https://example.com/books/1';

/** A hub mounted in an app: where it listens, and how to stop the app's server. */
export interface Mounted {
  readonly hub: Hub;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  close(): Promise<void>;
}

/** Publishes with curl (a third-party client); `extra` are curl arguments (e.g. --http2-prior-knowledge). */
export async function curlPublish(
  url: string,
  fields: string[],
  token?: string,
  extra: string[] = [],
): Promise<{ code: number; body: string }> {
  const args = ['-sS', ...extra, '-o', '-', '-w', '\n%{http_code}', url];
  for (const f of fields) args.push('--data-urlencode', f);
  if (token !== undefined) args.push('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('curl', args);
  const nl = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, nl), code: Number(stdout.slice(nl + 1)) };
}

/**
 * The same story for every way of mounting the hub: the app's own route answers; an anonymous
 * and a token-holding EventSource subscribe; curl publishes a public and a private update and
 * the app publishes in-process; only the token holder gets the private one; a resume after the
 * first id replays the rest; `hub.close()` ends the streams gracefully.
 */
export async function embedScenario(m: Mounted): Promise<void> {
  const hubUrl = `${m.base}/.well-known/mercure`;
  const app = await fetch(`${m.base}/app`);
  assert.equal(await app.text(), 'app', "the app's own route is untouched");

  const query = `match=${encodeURIComponent(TOPIC)}`;
  const anon = new EventSourceClient(`${hubUrl}?${query}`);
  const token = await subscriberToken([TOPIC]);
  const holder = new EventSourceClient(`${hubUrl}?${query}&authorization=${token}`);
  try {
    await Promise.all([anon.opened(), holder.opened()]);
    const pub = await publisherToken([TOPIC]);
    const one = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=one'], pub);
    assert.equal(one.code, 200, `curl publish: ${one.body}`);
    const secret = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=secret', 'private=on'], pub);
    assert.equal(secret.code, 200, `curl private publish: ${secret.body}`);
    const three = await m.hub.publish({ topics: [TOPIC], data: 'three' });
    const refused = await curlPublish(hubUrl, [`topic=${TOPIC}`, 'data=nope']);
    assert.equal(refused.code, 401, 'a publish without a token is refused as over HTTP');

    await holder.waitFor(3, 10_000);
    assert.deepEqual(
      holder.events.map((e) => [e.data, e.lastEventId]),
      [
        ['one', one.body],
        ['secret', secret.body],
        ['three', three],
      ],
      'the token holder gets all three, in order, with their ids',
    );
    await anon.waitFor(2, 10_000);
    assert.deepEqual(
      anon.events.map((e) => e.data),
      ['one', 'three'],
      'an anonymous subscriber never sees the private update',
    );

    const resumed = new EventSourceClient(`${hubUrl}?${query}&lastEventID=${encodeURIComponent(one.body)}`);
    try {
      await resumed.waitFor(1, 10_000);
      assert.equal(resumed.events[0]?.data, 'three', 'the resume replays what came after, private skipped');
      assert.equal(resumed.events[0]?.lastEventId, three, 'with its id');
    } finally {
      resumed.close();
    }

    // Graceful close: the streams end (EventSource sees the end and would reconnect).
    const errorsBefore = anon.errors.length;
    await m.hub.close();
    await anon.until(() => anon.errors.length > errorsBefore, 'the stream to end on close()', 10_000);
  } finally {
    anon.close();
    holder.close();
    await m.close();
  }
}
