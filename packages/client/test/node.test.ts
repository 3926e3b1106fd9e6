import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mercureUrl, TidingsEventSource } from '@tidings/client';
import { type ClientHub, SECRET, startClientHub, TOPIC, token } from './helpers/client-hub.js';

const T = 20_000;

/** Resolves with the first `n` message data of `es`, or rejects after a generous deadline. */
function collect(es: TidingsEventSource, n: number, type = 'message'): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n}: ${got}`)), T);
    es.addEventListener(type, (e) => {
      got.push((e as MessageEvent<string>).data);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

const opened = (es: TidingsEventSource) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no open')), T);
    es.addEventListener('open', () => {
      clearTimeout(timer);
      resolve();
    });
  });

describe('TidingsEventSource in Node against the real hub', () => {
  let hub: ClientHub;
  before(async () => {
    hub = await startClientHub();
  });
  after(() => hub.close());

  it('receives updates with their ids, and resumes after the hub restarts', async () => {
    const es = new TidingsEventSource(mercureUrl(`${hub.origin}/.well-known/mercure`, { topics: [TOPIC] }), {
      retry: 50,
    });
    try {
      assert.equal(es.readyState, TidingsEventSource.CONNECTING, 'connecting at first');
      await opened(es);
      assert.equal(es.readyState, es.OPEN, 'open after the hub answered');
      const first = collect(es, 2);
      const ids = [await hub.publish('one'), await hub.publish('two')];
      assert.deepEqual(await first, ['one', 'two'], 'both updates, in order');
      assert.equal(es.lastEventId, ids[1], 'the last id is the cursor');
      // The hub keeps its history in memory: a restart loses it, and the resume reports a gap.
      const gap = collect(es, 1, 'gap').catch(() => ['no gap']);
      const reopened = opened(es);
      await hub.restart();
      await reopened;
      assert.equal(es.readyState, es.OPEN, 'open again by itself');
      const next = collect(es, 1);
      await hub.publish('three');
      assert.deepEqual(await next, ['three'], 'an update after the restart');
      assert.equal((await gap).length, 1, 'a gap event: the new hub does not know the cursor');
    } finally {
      es.close();
    }
    assert.equal(es.readyState, TidingsEventSource.CLOSED, 'closed');
  });

  it('a headers function is called at each connection; a 401 calls it again and recovers', async () => {
    const secured = await startClientHub({ anonymous: false, subscriberKeys: [SECRET] });
    let calls = 0;
    const es = new TidingsEventSource(secured.topicUrl, {
      retry: 50,
      headers: () => {
        calls++;
        // The first token has expired already: the hub answers 401, the client asks again.
        return { Authorization: `Bearer ${token({ subscribe: ['*'] }, calls === 1 ? -10 : 3600)}` };
      },
    });
    try {
      await opened(es);
      assert.equal(calls, 2, 'called once per attempt: the stale token, then a fresh one');
      const got = collect(es, 1);
      await secured.publish('secret');
      assert.deepEqual(await got, ['secret'], 'the update through the authorised stream');
    } finally {
      es.close();
      await secured.close();
    }
  });
});
