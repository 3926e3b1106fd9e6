import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mercureUrl } from '@tidings/client';

const hub = 'https://hub.example/.well-known/mercure';

it('mercureUrl: match and match_urlpattern in the current dialect', () => {
  const u = new URL(
    mercureUrl(hub, {
      topics: ['https://example.com/books/1', 'a b&c'],
      urlPatterns: ['https://example.com/books/:id'],
      lastEventID: 'earliest',
    }),
  );
  assert.deepEqual(
    u.searchParams.getAll('match'),
    ['https://example.com/books/1', 'a b&c'],
    'each topic, encoded',
  );
  assert.deepEqual(
    u.searchParams.getAll('match_urlpattern'),
    ['https://example.com/books/:id'],
    'the pattern',
  );
  assert.equal(u.searchParams.get('last_event_id'), 'earliest', 'the history request');
  assert.equal(u.origin + u.pathname, hub, 'the hub URL kept');
});

it('mercureUrl: topic and lastEventID in the 0.x dialect; mixing dialects throws', () => {
  const u = new URL(
    mercureUrl(hub, {
      dialect: '0.x',
      topics: ['https://example.com/books/1'],
      templates: ['https://example.com/books/{id}'],
      lastEventID: 'x',
    }),
  );
  assert.deepEqual(
    u.searchParams.getAll('topic'),
    ['https://example.com/books/1', 'https://example.com/books/{id}'],
    'topics and templates as topic=',
  );
  assert.equal(u.searchParams.get('lastEventID'), 'x', '0.x name');
  assert.throws(() => mercureUrl(hub, { templates: ['x/{id}'] }), TypeError, 'templates need 0.x');
  assert.throws(
    () => mercureUrl(hub, { dialect: '0.x', urlPatterns: ['x'] }),
    TypeError,
    'patterns need current',
  );
});
