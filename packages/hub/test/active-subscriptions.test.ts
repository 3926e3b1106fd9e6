import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SubscriptionInfo } from '@tidings/hub';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import {
  AUDIENCE,
  accessToken,
  ISSUER,
  PUBLISHER_SECRET,
  SUBSCRIBER_SECRET,
  subscriberToken,
} from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

const TOPIC = 'https://example.com/books/1';
const enc = encodeURIComponent;

describe('Active Subscriptions (Mercure "Active Subscriptions")', () => {
  let h: HubFixture;
  let admin: string;
  before(async () => {
    h = await startHub({
      publisherKeys: [PUBLISHER_SECRET],
      subscriberKeys: [SUBSCRIBER_SECRET],
      anonymous: true,
      jwtIssuer: ISSUER,
      jwtAudience: AUDIENCE,
    });
    // A token granting subscribe on the whole subscriptions namespace (a URL pattern, relative to the hub URL).
    admin = await accessToken(['subscribe'], [], {
      key: SUBSCRIBER_SECRET,
      claims: {
        authorization_details: [
          {
            type: 'mercure',
            actions: ['subscribe'],
            topics: [{ match: '/.well-known/mercure/subscriptions{/*}?', matchType: 'URLPattern' }],
          },
        ],
      },
    });
  });
  after(() => h.close());

  it('announces a subscription as a private event and lists it; both go away on disconnect', async () => {
    // The watcher subscribes to the subscription events of TOPIC with a URL pattern.
    const watchPattern = `/.well-known/mercure/subscriptions/Exact/${enc(TOPIC)}/:subscriber`;
    const watcher = await SseReader.open(`${h.url}?matchURLPattern=${enc(watchPattern)}`, {
      Authorization: `Bearer ${admin}`,
    });
    assert.equal(watcher.response.status, 200);
    const anonymousWatcher = await SseReader.open(`${h.url}?matchURLPattern=${enc(watchPattern)}`);

    const sub = await SseReader.open(`${h.url}?match=${enc(TOPIC)}`);
    const [created] = await watcher.waitFor(1);
    const info = JSON.parse(created!.data) as SubscriptionInfo & { '@context': string };
    assert.equal(info['@context'], 'https://mercure.rocks/');
    assert.equal(info.type, 'Subscription');
    assert.equal(info.matchType, 'Exact');
    assert.equal(info.match, TOPIC);
    assert.equal(info.active, true);
    assert.match(info.subscriber, /^urn:uuid:/);
    // {match} and {subscriber} are percent-encoded exactly once (RFC 6570 simple expansion).
    assert.equal(info.id, `/.well-known/mercure/subscriptions/Exact/${enc(TOPIC)}/${enc(info.subscriber)}`);

    const all = await fetch(`http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), 'application/ld+json');
    const doc = (await all.json()) as {
      type: string;
      id: string;
      lastEventID: string;
      subscriptions: SubscriptionInfo[];
    };
    assert.equal(doc.type, 'Subscriptions');
    assert.equal(doc.id, '/.well-known/mercure/subscriptions');
    assert.equal(doc.lastEventID, 'earliest');
    assert.ok(
      doc.subscriptions.some((s) => s.id === info.id && s.active),
      'the list holds the subscription, active',
    );

    const one = await fetch(`http://127.0.0.1:${h.port}${info.id}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as SubscriptionInfo).subscriber, info.subscriber);

    sub.close();
    const [, ended] = await watcher.waitFor(2);
    const gone = JSON.parse(ended!.data) as SubscriptionInfo;
    assert.equal(gone.id, info.id);
    assert.equal(gone.active, false);
    const missing = await fetch(`http://127.0.0.1:${h.port}${info.id}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(missing.status, 404);

    // Subscription events are private: the anonymous watcher got neither.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(anonymousWatcher.events.length, 0);
    watcher.close();
    anonymousWatcher.close();
  });

  it('refuses the listing without a token (401) and with a token lacking the grant (403)', async () => {
    const url = `http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions`;
    const none = await fetch(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const narrow = await subscriberToken([TOPIC]);
    const denied = await fetch(url, { headers: { Authorization: `Bearer ${narrow}` } });
    assert.equal(denied.status, 403);
    assert.match(denied.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  it('lists by matcher collection and reports lastEventID once something was published', async () => {
    const pub = await accessToken(['publish'], ['*'], { key: PUBLISHER_SECRET });
    const published = await h.publish({ topic: TOPIC, data: 'x' }, { Authorization: `Bearer ${pub}` });
    assert.equal(published.status, 200);
    const s1 = await SseReader.open(
      `${h.url}?match=${enc(TOPIC)}&matchURLPattern=${enc('https://example.com/books/:id')}`,
    );
    const res = await fetch(
      `http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions/URLPattern/${enc('https://example.com/books/:id')}`,
      { headers: { Authorization: `Bearer ${admin}` } },
    );
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { lastEventID: string; subscriptions: SubscriptionInfo[] };
    assert.equal(doc.lastEventID, published.body);
    assert.equal(doc.subscriptions.length, 1);
    assert.equal(doc.subscriptions[0]!.matchType, 'URLPattern');
    assert.equal(h.hub.subscriptions().length, 2);
    s1.close();
  });
});

describe('discovery (Mercure "Protected Resource Metadata")', () => {
  it('serves RFC 9728 metadata at the path derived from the hub URL', async () => {
    const h = await startHub({ jwtAudience: 'https://hub.example', jwtIssuer: 'https://issuer.example' });
    try {
      const res = await fetch(
        `http://127.0.0.1:${h.port}/.well-known/oauth-protected-resource/.well-known/mercure`,
      );
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        resource: 'https://hub.example',
        bearer_methods_supported: ['header', 'query'],
        mercure_cookie: true,
        mercure_version: 8,
        authorization_servers: ['https://issuer.example'],
      });
    } finally {
      await h.close();
    }
  });
});
