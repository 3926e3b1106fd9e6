/**
 * Issue 10, item 6: costly selectors cannot be used before authentication, nor fan out without
 * bound. Through a running hub: a subscribe refused for its token is refused before its patterns
 * are compiled (an uncompilable pattern answers 401, not 400), and the distinct patterns the hub
 * evaluates per new topic are capped hub-wide (limits.maxPatterns, 503 too_many_patterns), so the
 * matching work of a publish does not grow with the number of hostile subscribers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { SIGNED_HUB } from './support/sign-token.js';

/** Not a valid URL pattern: compiling it is the only way to refuse it with 400 invalid_selector. */
const UNCOMPILABLE = 'https://example.com/(unclosed';
const COSTLY = `https://example.com/${Array.from({ length: 32 }, (_, i) => `:a${i}*`).join('/')}`;

function query(patterns: string[]): string {
  return `?${patterns.map((p) => `match_urlpattern=${encodeURIComponent(p)}`).join('&')}`;
}

interface Opened {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  close(): void;
}

/** Opens a subscribe from `client` (X-Forwarded-For, trusted); keeps a stream open until close(). */
async function subscribe(fx: HubFixture, q: string, client = '192.0.2.1'): Promise<Opened> {
  const abort = new AbortController();
  const res = await fetch(`${fx.url}${q}`, { headers: { 'X-Forwarded-For': client }, signal: abort.signal });
  const body = res.status === 200 ? '' : await res.text();
  return { status: res.status, body, headers: res.headers, close: () => abort.abort() };
}

async function waitUntil(what: () => boolean, label: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!what()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('selector cost before authentication and per publish (issue 10)', () => {
  test('a subscribe without the token it needs is refused before its patterns are compiled', async () => {
    const fx = await startHub({ ...SIGNED_HUB, anonymous: false });
    try {
      for (const patterns of [[UNCOMPILABLE], Array.from({ length: 32 }, (_, i) => `${COSTLY}/${i}`)]) {
        const a = await subscribe(fx, query(patterns));
        assertProblem(a, 'missing_token', { challenge: 'none' });
      }
      const bad = await fetch(`${fx.url}${query([UNCOMPILABLE])}&authorization=not.a.token`);
      assertProblem({ status: bad.status, headers: bad.headers, body: await bad.text() }, 'invalid_token', {
        challenge: 'invalid_token',
      });
    } finally {
      await fx.close();
    }
  });

  test('distinct patterns are capped hub-wide; patterns already matched are shared', async () => {
    const fx = await startHub({ trustProxy: true, subscriptions: false, limits: { maxPatterns: 4 } });
    const open: Opened[] = [];
    try {
      const mine = [0, 1, 2, 3].map((i) => `https://example.com/a${i}/:id`);
      const first = await subscribe(fx, query(mine), '192.0.2.1');
      open.push(first);
      assert.equal(first.status, 200, `four patterns fit: ${first.body}`);

      // Another client, a new distinct pattern: refused, before it is compiled (even one that
      // would not compile), with a Retry-After.
      for (const p of ['https://example.com/new/:id', UNCOMPILABLE]) {
        const refused = await subscribe(fx, query([p]), '192.0.2.2');
        assertProblem(refused, 'too_many_patterns', { retryAfter: true });
      }
      // A pattern the hub already evaluates costs nothing more: accepted, from anyone.
      const shared = await subscribe(fx, query([mine[2]!]), '192.0.2.3');
      open.push(shared);
      assert.equal(shared.status, 200, `a shared pattern is accepted: ${shared.body}`);
      // Exact topics are map lookups, never capped.
      const exact = await subscribe(fx, '?topic=https%3A%2F%2Fexample.com%2Fexact', '192.0.2.4');
      open.push(exact);
      assert.equal(exact.status, 200, `an exact topic is accepted: ${exact.body}`);

      // Once the patterns' subscribers leave, their room is free again.
      first.close();
      shared.close();
      await waitUntil(() => fx.hub.subscriberCount === 1, 'the pattern subscribers are gone');
      const later = await subscribe(fx, query(['https://example.com/new/:id']), '192.0.2.2');
      open.push(later);
      assert.equal(later.status, 200, `room again once patterns left: ${later.body}`);
    } finally {
      for (const o of open) o.close();
      await fx.close();
    }
  });
});
