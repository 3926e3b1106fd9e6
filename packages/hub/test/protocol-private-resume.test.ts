/**
 * Issue 10 item 7: a subscriber that resumes from the id of a private update it may not read is
 * answered as if the id were unknown (`earliest`, the whole public history), so the answer does
 * not confirm that the update exists. Over raw sockets, on the raw intake and on node:http.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { type RawResponse, rawExchange } from './support/raw-http.js';
import { SIGNED_TRUST, SUBSCRIBER_SECRET, subscriberToken } from './support/sign-token.js';

const TOPIC = 'https://example.com/private-resume';
const PATHS = { 'raw intake': [] as string[], 'node:http': ['X-Twice: 1', 'X-Twice: 2'] } as const;
const opened = (r: RawResponse) => r.status !== undefined && (r.status !== 200 || r.body.includes('retry:'));

function resume(id: string, extra: readonly string[]): string {
  const target = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;
  return [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', `Last-Event-ID: ${id}`, ...extra, '', ''].join('\r\n');
}

describe('resuming from a private id', () => {
  let fx: HubFixture;
  before(async () => {
    fx = await startHub({
      ...SIGNED_TRUST,
      subscriberKeys: [SUBSCRIBER_SECRET],
      anonymous: true,
      subscriptions: false,
    });
    assert.equal((await fx.publish({ topic: TOPIC, data: 'public', id: 'pub-1' })).status, 200, 'public');
    const secret = { topic: TOPIC, data: 'secret', id: 'secret-1', private: 'on' };
    assert.equal((await fx.publish(secret)).status, 200, 'private published');
  });
  after(() => fx.close());

  for (const [path, extra] of Object.entries(PATHS)) {
    test(`an anonymous subscriber is answered as if the id were unknown on the ${path} path`, async () => {
      const secret = await rawExchange(fx.port, [resume('secret-1', extra)], { stopWhen: opened });
      const unknown = await rawExchange(fx.port, [resume('never-published', extra)], { stopWhen: opened });
      assert.equal(secret.status, 200, 'a stream');
      assert.equal(secret.headers['mercure-last-event-id'], 'earliest', 'the private id is not confirmed');
      assert.equal(secret.headers['last-event-id'], 'earliest', 'nor under the 0.x name');
      assert.equal(unknown.headers['mercure-last-event-id'], 'earliest', 'an unknown id, for comparison');
      assert.ok(
        secret.body.includes('data: public'),
        'history replayed from the start, as for an unknown id',
      );
      assert.ok(!secret.body.includes('secret'), 'nothing private');
    });

    test(`a subscriber granted the topic resumes from it on the ${path} path`, async () => {
      const token = await subscriberToken([TOPIC]);
      const r = await rawExchange(
        fx.port,
        [resume('secret-1', [...extra, `Authorization: Bearer ${token}`])],
        {
          stopWhen: opened,
        },
      );
      assert.equal(r.headers['mercure-last-event-id'], 'secret-1', 'found for who may read it');
    });
  }
});
