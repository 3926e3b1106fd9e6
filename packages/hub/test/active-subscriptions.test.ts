import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SubscriptionInfo } from '@tidings/hub';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import {
  AUDIENCE,
  accessToken,
  ISSUER,
  PUBLISHER_SECRET,
  SIGNED_TRUST,
  SUBSCRIBER_SECRET,
  subscriberToken,
} from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

const TOPIC = 'https://example.com/books/1';
const SENTINEL_TOPIC = 'https://example.com/sentinel';
const enc = encodeURIComponent;

describe('Active Subscriptions (Mercure "Subscription Events", "Subscription API")', () => {
  let h: HubFixture;
  let admin: string;
  before(async () => {
    h = await startHub({
      publisherKeys: [PUBLISHER_SECRET],
      ...SIGNED_TRUST,
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
            type: 'https://mercure.rocks/authorization-detail',
            actions: ['subscribe'],
            topics: [{ match: '/.well-known/mercure/subscriptions{/*}?', match_type: 'urlpattern' }],
          },
          {
            type: 'https://mercure.rocks/authorization-detail',
            actions: ['subscribe'],
            topics: [{ match: 'https://example.com/books/:id', match_type: 'urlpattern' }],
            payload: { team: 'ops' },
          },
        ],
      },
    });
  });
  after(() => h.close());

  it('Subscription Events: a private `mercure` event on /subscriptions/{match_type}/{match}/{subscriber}; the API lists it; both end on disconnect', async () => {
    // The watcher subscribes to the subscription events of TOPIC with a URL pattern.
    const watchPattern = `/.well-known/mercure/subscriptions/exact/${enc(TOPIC)}/:subscriber`;
    const watcher = await SseReader.open(`${h.url}?match_urlpattern=${enc(watchPattern)}`, {
      Authorization: `Bearer ${admin}`,
    });
    assert.equal(watcher.response.status, 200, 'the watcher is subscribed');
    // The anonymous watcher also follows a public topic, for the sentinel that fences it below.
    const anonymousWatcher = await SseReader.open(
      `${h.url}?match_urlpattern=${enc(watchPattern)}&match=${enc(SENTINEL_TOPIC)}`,
    );

    const sub = await SseReader.open(`${h.url}?match=${enc(TOPIC)}`);
    const [created] = await watcher.waitFor(1);
    assert.equal(created!.event, 'mercure', 'the reserved SSE event type');
    const info = JSON.parse(created!.data) as SubscriptionInfo;
    assert.deepEqual(
      Object.keys(info).sort(),
      ['active', 'id', 'match', 'match_type', 'subscriber', 'type'],
      'a plain JSON document (no JSON-LD context); no payload for an anonymous subscriber',
    );
    assert.equal(info.type, 'subscription', 'type is the fixed value subscription');
    assert.equal(info.match_type, 'exact', 'the canonical matcher type name');
    assert.equal(info.match, TOPIC, 'match');
    assert.equal(info.active, true, 'active');
    assert.match(info.subscriber, /^urn:uuid:/, 'a hub-generated random subscriber id');
    // {match} and {subscriber} are percent-encoded exactly once (RFC 6570 simple expansion).
    assert.equal(
      info.id,
      `/.well-known/mercure/subscriptions/exact/${enc(TOPIC)}/${enc(info.subscriber)}`,
      'id is the topic of the event',
    );

    const all = await fetch(`http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(all.status, 200, 'the collection is served');
    assert.equal(all.headers.get('content-type'), 'application/json', 'Subscription API: application/json');
    assert.match(
      all.headers.get('link') ?? '',
      /^<http:\/\/localhost\/\.well-known\/mercure>; rel="mercure"; last-event-id="earliest"; type="mercure"; content-type="application\/json"$/,
      'Subscription API: the cursor is the last-event-id attribute of the rel="mercure" Link',
    );
    const doc = (await all.json()) as {
      type: string;
      id: string;
      subscriptions: SubscriptionInfo[];
    };
    assert.equal(doc.type, 'subscriptions', 'collection type');
    assert.equal(doc.id, '/.well-known/mercure/subscriptions', 'collection id');
    assert.equal('lastEventID' in doc, false, 'the cursor is not in the body');
    assert.ok(
      doc.subscriptions.some((s) => s.id === info.id && s.active),
      'the list holds the subscription, active',
    );

    const one = await fetch(`http://127.0.0.1:${h.port}${info.id}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(one.status, 200, 'a single subscription is served');
    assert.deepEqual(await one.json(), info, 'the same document as the subscription event');

    sub.close();
    const [, ended] = await watcher.waitFor(2);
    const gone = JSON.parse(ended!.data) as SubscriptionInfo;
    assert.equal(gone.id, info.id, 'the same subscription');
    assert.equal(gone.active, false, 'terminated');
    assert.equal(ended!.event, 'mercure', 'the reserved SSE event type');
    const missing = await fetch(`http://127.0.0.1:${h.port}${info.id}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(missing.status, 404, 'Subscription API: an unknown subscription is 404');

    // Subscription events are private: the anonymous watcher got neither. Both were published
    // before this sentinel (the watcher has the second), and delivery follows publication order
    // on one stream: had either reached the anonymous watcher, it would be before the sentinel.
    const sentinel = await h.hub.publish({ topics: [SENTINEL_TOPIC], data: 'sentinel' });
    assert.deepEqual(
      (await anonymousWatcher.waitForId(sentinel, 15_000)).map((e) => e.data),
      [],
      'subscription events are private',
    );
    watcher.close();
    anonymousWatcher.close();
  });

  it('refuses the listing without a token (401) and with a token lacking the grant (403)', async () => {
    const url = `http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions`;
    const none = await fetch(url);
    assert.equal(none.status, 401, 'no token');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/, 'a Bearer challenge');
    const narrow = await subscriberToken([TOPIC]);
    const denied = await fetch(url, { headers: { Authorization: `Bearer ${narrow}` } });
    assert.equal(denied.status, 403, 'Subscription API: no subscribe grant on the path is 403');
    assert.match(
      denied.headers.get('www-authenticate') ?? '',
      /error="insufficient_scope"/,
      'insufficient_scope',
    );
  });

  it('Subscription API: lists by {match_type}/{match}, with the payload, and the cursor once something was published', async () => {
    const pub = await accessToken(['publish'], ['*'], { key: PUBLISHER_SECRET });
    const published = await h.publish({ topic: TOPIC, data: 'x' }, { Authorization: `Bearer ${pub}` });
    assert.equal(published.status, 200);
    const s1 = await SseReader.open(
      `${h.url}?match=${enc(TOPIC)}&match_urlpattern=${enc('https://example.com/books/:id')}`,
      { Authorization: `Bearer ${admin}` },
    );
    const res = await fetch(
      `http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions/urlpattern/${enc('https://example.com/books/:id')}?x=1`,
      { headers: { Authorization: `Bearer ${admin}` } },
    );
    assert.equal(
      res.status,
      200,
      'the per-matcher collection is served (the query is not part of the topic)',
    );
    assert.match(
      res.headers.get('link') ?? '',
      new RegExp(`; last-event-id="${published.body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
      'the cursor is the last published id',
    );
    const doc = (await res.json()) as { subscriptions: SubscriptionInfo[] };
    assert.equal(doc.subscriptions.length, 1, 'one urlpattern subscription');
    assert.equal(doc.subscriptions[0]!.match_type, 'urlpattern', 'match_type');
    assert.deepEqual(
      doc.subscriptions[0]!.payload,
      { team: 'ops' },
      'Payloads: the first matching subscribe detail',
    );
    assert.equal(h.hub.subscriptions().length, 2);
    s1.close();
  });
});

describe('Protected Resource Metadata', () => {
  it('RFC 9728 metadata at the path derived from the hub URL: resource, the detail type, header, the cookie name, subscriptions', async () => {
    const h = await startHub({ jwtAudience: 'https://hub.example', jwtIssuer: 'https://issuer.example' });
    try {
      const res = await fetch(
        `http://127.0.0.1:${h.port}/.well-known/oauth-protected-resource/.well-known/mercure`,
      );
      assert.equal(res.status, 200, 'served');
      assert.deepEqual(
        await res.json(),
        {
          resource: 'https://hub.example',
          authorization_details_types_supported: ['https://mercure.rocks/authorization-detail'],
          bearer_methods_supported: ['header'],
          mercure_cookie: '__Secure-mercure_access_token',
          mercure_subscriptions: true,
        },
        'the members of the current text',
      );
      const challenge = await fetch(`http://127.0.0.1:${h.port}/.well-known/mercure/subscriptions`);
      assert.match(
        challenge.headers.get('www-authenticate') ?? '',
        new RegExp(
          `resource_metadata="http://127\\.0\\.0\\.1:${h.port}/\\.well-known/oauth-protected-resource/\\.well-known/mercure"|resource_metadata="[^"]+/\\.well-known/oauth-protected-resource/\\.well-known/mercure"`,
        ),
        'Error Responses: the challenge names the metadata',
      );
    } finally {
      await h.close();
    }
  });
});
