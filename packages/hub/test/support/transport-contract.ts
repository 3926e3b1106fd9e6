import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HubOptions } from '@tidings/hub';
import { assertProblem } from './expect-problem.js';
import { type HubFixture, startHub } from './hub-fixture.js';
import { nowSeconds, publisherToken, SIGNED_HUB, subscriberToken } from './sign-token.js';
import type { Subscribed, TransportUnderTest } from './transport-clients.js';

/**
 * The protocol every subscription transport honours (issue 16): SSE, WebSocket and poll run the
 * same cases, each through its own client (support/transport-clients.ts), against a real hub on
 * loopback: both dialects' selectors, private updates, resume from every position of a history
 * with no gap and no duplicate, the gap signal, expiry at the token's `exp`, the per-client cap,
 * and bad input answered with the same problems.
 */
export function runTransportContract(transport: TransportUnderTest, extra: HubOptions = {}): void {
  describe(`${transport.name}: the subscription protocol`, () => {
    let fx: HubFixture;
    let publisher: Record<string, string>;
    let topicCount = 0;
    /** A topic of the test's own: tests do not see each other's updates. */
    const topic = (name = 'book') => `https://example.com/${transport.name}/${name}/${++topicCount}`;
    const open: Subscribed[] = [];
    const subscribe = async (query: string, headers?: Record<string, string>) => {
      const s = await transport.open(fx, query, headers);
      open.push(s);
      return s;
    };
    const publish = async (fields: Record<string, string | string[]>) => {
      const r = await fx.publish(fields, publisher);
      assert.equal(r.status, 200, `publish: ${r.body}`);
      return r.body;
    };
    const q = (pairs: [string, string][]) => new URLSearchParams(pairs).toString();

    before(async () => {
      fx = await startHub({
        ...SIGNED_HUB,
        ...extra,
        limits: { maxSubscribersPerClient: 1000, ...extra.limits },
      });
      publisher = { Authorization: `Bearer ${await publisherToken()}` };
    });
    after(async () => {
      for (const s of open) s.close();
      await fx.close();
    });

    test('both dialects select: match (exact), match_urlpattern, 0.x topic templates', async () => {
      const base = topic('dialects');
      const other = topic('elsewhere');
      const exact = await subscribe(q([['match', base]]));
      const pattern = await subscribe(q([['match_urlpattern', `${base.replace(/\/\d+$/, '')}/:n`]]));
      const template = await subscribe(q([['topic', `${base.replace(/\/\d+$/, '')}/{n}`]]));
      const id = await publish({ topic: base, data: 'for all three', type: 'book' });
      await publish({ topic: other, data: 'for nobody' });
      const sentinel = await publish({ topic: base, data: 'sentinel' });
      for (const s of [exact, pattern, template]) {
        const got = await s.waitForId(sentinel);
        assert.deepEqual(got, [{ id, type: 'book', data: 'for all three' }], transport.name);
      }
    });

    test('private updates reach only subscribers whose token grants the topic', async () => {
      const t = topic('private');
      const anonymous = await subscribe(q([['match', t]]));
      const granted = await subscribe(q([['match', t]]), {
        Authorization: `Bearer ${await subscriberToken([t])}`,
      });
      const elsewhere = await subscribe(q([['match', t]]), {
        Authorization: `Bearer ${await subscriberToken([`${t}-not-this-one`])}`,
      });
      const secret = await publish({ topic: t, data: 'secret', private: 'on' });
      const sentinel = await publish({ topic: t, data: 'public' });
      assert.deepEqual(ids(await granted.waitForId(sentinel)), [secret], 'the granted token gets it');
      assert.deepEqual(ids(await anonymous.waitForId(sentinel)), [], 'anonymous does not');
      assert.deepEqual(ids(await elsewhere.waitForId(sentinel)), [], 'a token for another topic does not');
      const replayed = await subscribe(
        q([
          ['match', t],
          ['last_event_id', 'earliest'],
        ]),
      );
      assert.deepEqual(ids(await replayed.waitForId(sentinel)), [], 'nor on replay');
    });

    test('resume from every position of a history: no gap, no duplicate, then live', async () => {
      const t = topic('resume');
      const history: string[] = [];
      for (let i = 0; i < 4; i++) history.push(await publish({ topic: t, data: `h${i}` }));
      const kept = history.length;
      for (let from = -1; from < kept; from++) {
        const cursor = from === -1 ? 'earliest' : history[from]!;
        const s = await subscribe(
          q([
            ['match', t],
            ['last_event_id', cursor],
          ]),
        );
        assert.equal(s.continueFrom, cursor, `the hub continues from ${cursor}`);
        const live = await publish({ topic: t, data: `live after ${cursor}` });
        history.push(live);
        const sentinel = await publish({ topic: t, data: 'sentinel' });
        const got = ids(await s.waitForId(sentinel));
        assert.deepEqual(got, history.slice(from + 1), `from ${cursor}`);
        history.push(sentinel);
        s.close();
      }
    });

    test('the gap signal: an unknown cursor continues from earliest with all history', async () => {
      const t = topic('gap');
      const first = await publish({ topic: t, data: 'kept' });
      const s = await subscribe(
        q([
          ['match', t],
          ['last_event_id', 'urn:uuid:never-published'],
        ]),
      );
      assert.equal(s.continueFrom, 'earliest');
      const sentinel = await publish({ topic: t, data: 'sentinel' });
      assert.deepEqual(ids(await s.waitForId(sentinel)), [first]);
    });

    test("the subscription ends at the token's exp", async () => {
      const t = topic('expiry');
      const token = await subscriberToken([t], { claims: { exp: nowSeconds() + 2 } });
      const s = await subscribe(q([['match', t]]), { Authorization: `Bearer ${token}` });
      assert.match(await s.endedWithin(20_000), transport.expiredEnd);
    });

    test('the per-client cap refuses the next subscription while one is held', async () => {
      const capped = await startHub({ ...SIGNED_HUB, ...extra, limits: { maxSubscribersPerClient: 1 } });
      try {
        const t = topic('cap');
        const first = await transport.open(capped, q([['match', t]]));
        await until(() => capped.hub.subscriberCount === 1, 'the first subscription is held');
        const refused = await transport.refusal(capped, q([['match', t]]));
        assertProblem(refused, 'too_many_subscribers_client', { retryAfter: true });
        first.close();
      } finally {
        await capped.close();
      }
    });

    test('bad input gets the same problems as SSE', async () => {
      assertProblem(await transport.refusal(fx, q([['foo', 'bar']])), 'missing_selector');
      assertProblem(await transport.refusal(fx, q([['matchRegExp', '.*']])), 'unknown_match_parameter');
      const long = 'x'.repeat(2000);
      assertProblem(
        await transport.refusal(
          fx,
          q([
            ['match', topic()],
            ['last_event_id', long],
          ]),
        ),
        'invalid_last_event_id',
      );
      assertProblem(
        await transport.refusal(fx, q([['match', topic()]]), { Authorization: 'Bearer not-a-token' }),
        'invalid_token',
        { challenge: 'invalid_token' },
      );
    });
  });
}

function ids(events: readonly { id: string }[]): string[] {
  return events.map((e) => e.id);
}

/** Waits for a condition the hub reaches on its own; rejects after a generous deadline. */
export async function until(ready: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
