/**
 * bad-inputs.md, "Subscribing": every row sent at a running hub over loopback. Rejected
 * subscriptions are checked for status, code and challenge, and for announcing nothing (the
 * watchers subscribe to `*`, subscription events included, with a token granting them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventSourceMessage } from 'eventsource-parser';
import { answerOf, assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { QuietWatch, waitUntil } from './support/quiet-watch.js';
import { rawExchange } from './support/raw-http.js';
import { metric, waitForMetric } from './support/read-metrics.js';
import {
  AUDIENCE,
  ISSUER,
  nowSeconds,
  PUBLISHER_SECRET,
  publisherToken,
  SIGNED_HUB,
  SUBSCRIBER_SECRET,
  signClaims,
  subscriberToken,
  unsigned,
} from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

const MAX_SELECTORS = 4;
const HISTORY = 20;
const PRIVATE_TOPIC = 'https://example.com/private/1';

describe('bad inputs: subscribing', () => {
  let fx: HubFixture;
  let watch: QuietWatch;
  let publishAuth: Record<string, string>;

  before(async () => {
    fx = await startHub({
      ...SIGNED_HUB,
      subscriptions: true,
      historySize: HISTORY,
      limits: { maxSelectorsPerSubscribe: MAX_SELECTORS },
    });
    publishAuth = { Authorization: `Bearer ${await publisherToken()}` };
    watch = await QuietWatch.open(fx, publishAuth, { Authorization: `Bearer ${await subscriberToken()}` });
  });

  after(async () => {
    watch.close();
    await fx.close();
  });

  const subscribe = (query: string, headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    return fetch(`${fx.url}${query}`, { headers, signal: controller.signal }).then(async (res) => {
      // A 200 is a stream: read nothing, close it.
      if (res.status === 200) {
        controller.abort();
        return { status: 200, headers: res.headers, body: '' };
      }
      return answerOf(res);
    });
  };
  const publish = async (fields: Record<string, string | string[]>): Promise<string> => {
    const res = await fx.publish(fields, publishAuth);
    assert.equal(res.status, 200, res.body);
    return res.body;
  };

  test('no selector, more selectors than the limit, malformed URI template or URL pattern: 400', async () => {
    const q = (pairs: [string, string][]) => `?${new URLSearchParams(pairs)}`;
    const cases: [
      string,
      'missing_selector' | 'too_many_selectors' | 'invalid_selector' | 'unknown_match_parameter',
    ][] = [
      ['', 'missing_selector'],
      ['?', 'missing_selector'],
      [q([['foo', 'bar']]), 'missing_selector'],
      [q([['lastEventID', 'x']]), 'missing_selector'],
      [q([['match', '']]), 'invalid_selector'],
      [q([['match', 'https://example.com/a\u0001']]), 'invalid_selector'],
      [q([['match', `https://example.com/${'a'.repeat(3000)}`]]), 'invalid_selector'],
      [
        q(Array.from({ length: MAX_SELECTORS + 1 }, (_, i) => ['match', `https://example.com/${i}`])),
        'too_many_selectors',
      ],
      [q([['topic', 'https://example.com/{unclosed']]), 'invalid_selector'],
      [q([['topic', 'https://example.com/{}']]), 'invalid_selector'],
      [q([['topic', 'https://example.com/{a}}']]), 'invalid_selector'],
      [q([['topic', 'https://example.com/{=a}']]), 'invalid_selector'],
      [q([['match_urlpattern', 'https://example.com/(']]), 'invalid_selector'],
      [q([['match_urlpattern', 'https://example.com/:']]), 'invalid_selector'],
      [q([['match_urlpattern', 'https://example.com/(a(b))']]), 'invalid_selector'],
      [q([['match_urlpattern', 'https://example.com/{']]), 'invalid_selector'],
      [q([['matchRegExp', '.*']]), 'unknown_match_parameter'],
      [
        q([
          ['match', '*'],
          ['matchTypo', 'x'],
        ]),
        'unknown_match_parameter',
      ],
    ];
    for (const [query, code] of cases) {
      await watch.quietly(async () => {
        const answer = await subscribe(query);
        assert.equal(answer.status, 400, `${query.slice(0, 80)}: ${answer.body}`);
        assertProblem(answer, code);
      });
    }
    // Controls: the limit itself, and duplicates (deduplicated), are accepted.
    assert.equal(
      (
        await subscribe(
          q(Array.from({ length: MAX_SELECTORS }, (_, i) => ['match', `https://example.com/${i}`])),
        )
      ).status,
      200,
    );
    assert.equal(
      (await subscribe(q(Array(MAX_SELECTORS + 3).fill(['match', 'https://example.com/same'])))).status,
      200,
    );
  });

  test('a pathological pattern is matched in linear time, or rejected', async () => {
    const patterns: [string, string][] = [
      ['match_urlpattern', 'https://example.com/(a*)*b'],
      ['match_urlpattern', 'https://example.com/((a|aa)+)+b'],
      ['match_urlpattern', 'https://example.com/(a|a?)+b'],
      ['match_urlpattern', 'https://example.com/:x(a+)+:y(a+)+b'],
      ['match_urlpattern', 'https://example.com/*a*a*a*a*a*a*a*a*b'],
      ['match_urlpattern', 'https://example.com/(\\w+\\s?)+$'],
      ['topic', 'https://example.com/{a}{b}{c}{d}{e}{f}{g}{h}b'],
      ['topic', 'https://example.com{/a*}{/b*}{/c*}{/d*}b'],
    ];
    const topic = `https://example.com/${'a'.repeat(1990)}`;
    const readers: SseReader[] = [];
    try {
      for (const [name, value] of patterns) {
        const url = `${fx.url}?${new URLSearchParams([[name, value]])}`;
        const res = await fetch(url, { headers: { Accept: 'text/event-stream' } });
        if (res.status === 400) {
          assertProblem(await answerOf(res), 'invalid_selector');
          continue;
        }
        assert.equal(res.status, 200, `${value}: ${res.status}`);
        await res.body?.cancel();
        readers.push(await SseReader.open(url));
      }
      assert.ok(readers.length > 0, 'at least some pathological patterns are accepted and exercised');
      // Each topic is matched against every accepted pattern; a backtracking engine would take
      // minutes on 1990 `a`s without the final `b`. The bound separates minutes from the
      // milliseconds this takes, with room for a busy machine (it is not a speed judgement).
      for (const t of [topic, `${topic}c`, `${topic}a!`]) {
        const started = performance.now();
        await publish({ topic: t, data: 'evil' });
        const ms = performance.now() - started;
        assert.ok(ms < 15_000, `publish matched in ${ms.toFixed(0)} ms`);
      }
      assert.equal((await fetch(`http://127.0.0.1:${fx.port}/healthz`)).status, 200);
    } finally {
      for (const r of readers) r.close();
    }
  });

  test('a token that is present but invalid: 401, never downgraded to anonymous', async () => {
    const expired = await subscriberToken(['*'], { claims: { exp: nowSeconds() - 3600 } });
    const wrongKey = await subscriberToken(['*'], { key: PUBLISHER_SECRET });
    const none = unsigned({ exp: nowSeconds() + 60, iss: ISSUER, aud: AUDIENCE });
    const malformedGrant = await signClaims(
      {
        iss: ISSUER,
        aud: AUDIENCE,
        exp: nowSeconds() + 60,
        authorization_details: [{ type: 'https://mercure.rocks/authorization-detail', actions: ['read'] }],
      },
      { key: SUBSCRIBER_SECRET },
    );
    const cases: [string, Record<string, string>][] = [
      ['?match=*', { Authorization: 'Bearer garbage' }],
      ['?match=*', { Authorization: `Bearer ${expired}` }],
      ['?match=*', { Authorization: `Bearer ${wrongKey}` }],
      ['?match=*', { Authorization: `Bearer ${none}` }],
      ['?match=*', { Authorization: `Bearer ${malformedGrant}` }],
      ['?match=*&authorization=garbage', {}],
      [`?match=*&authorization=${expired}`, {}],
      ['?match=*', { Cookie: 'mercureAuthorization=garbage' }],
      ['?match=*', { Cookie: `mercureAuthorization=${expired}` }],
      // A bad header token is not rescued by a good cookie (precedence, not fallback).
      [
        '?match=*',
        { Authorization: 'Bearer garbage', Cookie: `mercureAuthorization=${await subscriberToken()}` },
      ],
    ];
    for (const [query, headers] of cases) {
      await watch.quietly(async () => {
        const answer = await subscribe(query, headers);
        assert.equal(answer.status, 401, `${query} ${JSON.stringify(headers).slice(0, 80)}: ${answer.body}`);
        assertProblem(answer, 'invalid_token', { challenge: 'invalid_token' });
      });
    }
    // Error Responses: a malformed presentation is a 400 with error="invalid_request".
    const malformed: [string, Record<string, string>][] = [
      ['?match=*', { Authorization: 'Basic YTpi' }],
      ['?match=*', { Authorization: 'Bearer ' }],
      ['?match=*&access_token=garbage', {}],
      ['?match=*&authorization=', {}],
      ['?match=*', { Cookie: 'mercureAuthorization=' }],
    ];
    for (const [query, headers] of malformed) {
      await watch.quietly(async () => {
        const answer = await subscribe(query, headers);
        assert.equal(answer.status, 400, `${query} ${JSON.stringify(headers).slice(0, 80)}: ${answer.body}`);
        assertProblem(answer, 'invalid_request', { challenge: 'invalid_request' });
      });
    }
    assert.equal((await subscribe('?match=*')).status, 200, 'control: no token at all is anonymous');
  });

  test('anonymous, or a token lacking the topic: public updates only, live and on replay', async () => {
    await watch.settle();
    const marker = await publish({ topic: 'https://example.com/marker', data: 'marker' });
    const lacking = `Bearer ${await subscriberToken(['https://example.com/other', 'https://example.com/private/{id}'])}`;
    const granted = `Bearer ${await subscriberToken([PRIVATE_TOPIC])}`;
    const selectors = [
      // (`*` is the watchers' selector; four selectors is the limit.)
      `match=${encodeURIComponent(PRIVATE_TOPIC)}`,
      `match_urlpattern=${encodeURIComponent('https://example.com/*')}`,
      `topic=${encodeURIComponent('https://example.com/private/{id}')}`,
      `match=${encodeURIComponent('https://example.com/alt')}`,
    ].join('&');
    const who = {
      anonymous: {},
      lacking: { Authorization: lacking },
      lackingCookie: { Cookie: `mercureAuthorization=${lacking.slice(7)}` },
      granted: { Authorization: granted },
    } as Record<string, Record<string, string>>;

    const live: Record<string, SseReader> = {};
    for (const [name, headers] of Object.entries(who)) {
      live[name] = await SseReader.open(`${fx.url}?${selectors}`, headers);
      assert.equal(live[name].response.status, 200, name);
    }
    const sent: Record<string, string | string[]>[] = [
      { topic: PRIVATE_TOPIC, data: 'secret-1', private: 'on' },
      { topic: PRIVATE_TOPIC, data: 'public-1' },
      { topic: [PRIVATE_TOPIC, 'https://example.com/alt'], data: 'secret-2', private: '' },
      { topic: ['https://example.com/alt', PRIVATE_TOPIC], data: 'secret-3', private: 'false' },
      { topic: 'https://example.com/alt', data: 'public-2' },
    ];
    for (const f of sent) await publish(f);
    const end = await publish({ topic: PRIVATE_TOPIC, data: 'end' });
    const publicData = ['public-1', 'public-2', 'end'];
    const allData = ['secret-1', 'public-1', 'secret-2', 'secret-3', 'public-2', 'end'];

    const check = async (readers: Record<string, SseReader>, when: string) => {
      for (const [name, reader] of Object.entries(readers)) {
        await waitUntil(
          () => reader.events.some((e) => e.id === end),
          `${when} ${name} got the end marker: ${JSON.stringify(reader.events.map((e) => e.data.slice(0, 40)))}`,
        );
        const data = updates(reader.events);
        assert.deepEqual(data, name === 'granted' ? allData : publicData, `${when} ${name}`);
      }
    };
    try {
      await check(live, 'live');
    } finally {
      for (const r of Object.values(live)) r.close();
    }

    // Replay: from the marker (header), from the 0.x query parameter, from `earliest`.
    for (const [how, extra] of [
      ['Last-Event-ID header', { 'Last-Event-ID': marker }],
      ['last_event_id query', {}],
    ] as const) {
      const replay: Record<string, SseReader> = {};
      const query =
        how === 'last_event_id query'
          ? `${selectors}&last_event_id=${encodeURIComponent(marker)}`
          : selectors;
      for (const [name, headers] of Object.entries(who)) {
        replay[name] = await SseReader.open(`${fx.url}?${query}`, { ...headers, ...extra });
        assert.equal(replay[name].response.headers.get('mercure-last-event-id'), marker);
      }
      try {
        await check(replay, `replay (${how})`);
      } finally {
        for (const r of Object.values(replay)) r.close();
      }
    }
    // Nor did the anonymous watcher on `*` ever see a private update, or a subscription event.
    await watch.settle();
    for (const e of watch.anonymous.events) {
      assert.ok(!/secret|"subscription"/.test(e.data), `anonymous watcher saw ${e.data.slice(0, 80)}`);
    }
    assert.ok(
      watch.granted.events.some((e) => e.event === 'mercure' && e.data.includes('"type":"subscription"')),
      'control: subscription events exist and reach a granted subscriber',
    );
  });

  test('Last-Event-ID unknown, ancient, too long, or given twice: bounded, earliest, 431/400, header wins', async () => {
    await watch.settle();
    const ids: string[] = [];
    for (let i = 0; i < HISTORY + 5; i++)
      ids.push(await publish({ topic: 'https://example.com/h', data: `h${i}`, id: `h-${Date.now()}-${i}` }));
    const kept = ids.slice(5);

    // Unknown and ancient (trimmed from history): replay all that is kept, and say `earliest`.
    for (const [how, query, headers] of [
      ['unknown (header)', '', { 'Last-Event-ID': 'no-such-id' }],
      ['unknown (lastEventID)', '&lastEventID=no-such-id', {}],
      ['unknown (last_event_id)', '&last_event_id=no-such-id', {}],
      ['ancient', '', { 'Last-Event-ID': ids[0]! }],
    ] as const) {
      const r = await SseReader.open(
        `${fx.url}?match=${encodeURIComponent('https://example.com/h')}${query}`,
        headers,
      );
      try {
        assert.equal(r.response.status, 200);
        assert.equal(r.response.headers.get('mercure-last-event-id'), 'earliest', how);
        assert.deepEqual(
          (await r.waitFor(kept.length)).map((e) => e.id),
          kept,
          `${how}: everything kept in history`,
        );
      } finally {
        r.close();
      }
    }

    // Header and query both given: the header wins.
    const both = await SseReader.open(
      `${fx.url}?match=${encodeURIComponent('https://example.com/h')}&lastEventID=${encodeURIComponent(kept[2]!)}`,
      { 'Last-Event-ID': kept[kept.length - 3]! },
    );
    try {
      assert.equal(both.response.headers.get('mercure-last-event-id'), kept[kept.length - 3]);
      assert.deepEqual(
        (await both.waitFor(2)).map((e) => e.id),
        kept.slice(-2),
      );
      // A fence: a live update after the replay; nothing else may come before it.
      await publish({ topic: 'https://example.com/h', data: 'fence', id: 'fence-both' });
      assert.deepEqual(
        (await both.waitForId('fence-both')).map((e) => e.id),
        kept.slice(-2),
        'nothing from the query position',
      );
    } finally {
      both.close();
    }

    // Too long: 64 KB overflows the header section (431); past the configured bound, 400.
    await watch.quietly(async () => {
      const res = await rawExchange(fx.port, [
        `GET /.well-known/mercure?match=* HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      ]);
      assertProblem(res, 'header_too_large', { status: 431 });
    });
    for (const [query, headers] of [
      ['?match=*', { 'Last-Event-ID': 'a'.repeat(2048) }],
      [`?match=*&lastEventID=${'a'.repeat(2048)}`, {}],
      [`?match=*&last_event_id=${'b'.repeat(2048)}`, {}],
    ] as const) {
      await watch.quietly(async () => {
        assertProblem(await subscribe(query, headers), 'invalid_last_event_id');
      });
    }
  });

  test('a token that expires during the stream: the hub closes that stream', async () => {
    const before = await metric(fx.url, 'tidings_dropped_subscribers_total', '{reason="token_expired"}');
    const short = await subscriberToken([PRIVATE_TOPIC], { claims: { exp: nowSeconds() + 1 } });
    const r = await SseReader.open(`${fx.url}?match=${encodeURIComponent(PRIVATE_TOPIC)}`, {
      Authorization: `Bearer ${short}`,
    });
    assert.equal(r.response.status, 200);
    // The end is awaited with a generous deadline: on a busy machine it may come late, never early.
    const end = await r.endedWithin(15_000);
    assert.equal(end.kind, 'clean', 'the hub ended the stream (terminating chunk), no reset');
    assert.equal(
      await waitForMetric(
        fx.url,
        'tidings_dropped_subscribers_total',
        '{reason="token_expired"}',
        (v) => v > before,
      ),
      before + 1,
    );
  });
});

describe('bad inputs: bounded replay', () => {
  test('one resume replays at most maxReplay updates, reading history a page at a time', async () => {
    const fx = await startHub({
      subscriptions: false,
      historySize: 100,
      limits: { maxReplay: 5, replayPageSize: 2 },
    });
    try {
      for (let i = 0; i < 30; i++)
        assert.equal((await fx.publish({ topic: 'https://example.com/r', data: `r${i}` })).status, 200);
      const r = await SseReader.open(`${fx.url}?match=*`, { 'Last-Event-ID': 'earliest' });
      try {
        await r.waitFor(5);
        // A fence, not a sleep: the live update comes after whatever the replay sent, so the
        // events before it are the whole replay. (And the stream is live afterwards.)
        await fx.publish({ topic: 'https://example.com/r', data: 'live', id: 'live' });
        assert.deepEqual(
          (await r.waitForId('live')).map((e) => e.data),
          ['r0', 'r1', 'r2', 'r3', 'r4'],
          'at most maxReplay updates replayed',
        );
      } finally {
        r.close();
      }
    } finally {
      await fx.close();
    }
  });
});

/** The data of the updates a reader got, without subscription events. */
function updates(events: readonly EventSourceMessage[]): string[] {
  return events.filter((e) => !e.data.includes('"Subscription"')).map((e) => e.data);
}
