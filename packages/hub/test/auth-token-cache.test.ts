import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../src/auth/authenticator.js';
import type { Principal } from '../src/auth/principal.js';
import { NO_EXP_TTL_MS, VerifiedTokenCache } from '../src/auth/verified-token-cache.js';
import { atClaims, baseOptions, bearer, HUB, SUBSCRIBER_SECRET, sign } from './auth-fixtures.js';

/**
 * The verified-token cache (auth/verified-token-cache.ts): a token presented again is not
 * verified again, but never past its `exp`, never for another role, never for a different
 * string, and never beyond its bound. A hit is observable: the cached principal's compiled
 * selectors are the very same objects.
 */

const T0 = 1_900_000_000;

function rights(expiresAt: number | undefined): Omit<Principal, 'source'> {
  return { expiresAt, publish: [], subscribe: [], payloads: [] };
}

describe('VerifiedTokenCache', () => {
  it('serves an entry until its exp and not a millisecond after', () => {
    let now = T0 * 1000;
    const cache = new VerifiedTokenCache(8, () => now);
    cache.set('a', rights(T0 + 30));
    now = (T0 + 30) * 1000 - 1;
    assert.ok(cache.get('a') !== undefined, 'still cached just before exp');
    now = (T0 + 30) * 1000;
    assert.equal(cache.get('a'), undefined, 'gone at exp');
    assert.equal(cache.size, 0, 'the expired entry is dropped');
  });

  it('keeps a token without exp for NO_EXP_TTL_MS at most, and never caches an expired one', () => {
    let now = T0 * 1000;
    const cache = new VerifiedTokenCache(8, () => now);
    cache.set('no-exp', rights(undefined));
    cache.set('expired', rights(T0 - 1));
    assert.equal(cache.get('expired'), undefined, 'an already expired token is not cached');
    now += NO_EXP_TTL_MS - 1;
    assert.ok(cache.get('no-exp') !== undefined, 'cached within the TTL');
    now += 1;
    assert.equal(cache.get('no-exp'), undefined, 'gone after the TTL');
  });

  it('holds at most maxEntries tokens, evicting the oldest', () => {
    const cache = new VerifiedTokenCache(3, () => T0 * 1000);
    for (const t of ['a', 'b', 'c', 'd']) cache.set(t, rights(T0 + 60));
    assert.equal(cache.size, 3, 'bounded');
    assert.equal(cache.get('a'), undefined, 'the oldest went first');
    assert.ok(cache.get('d') !== undefined, 'the newest is kept');
    const off = new VerifiedTokenCache(0, () => T0 * 1000);
    off.set('a', rights(T0 + 60));
    assert.equal(off.size, 0, 'size 0 caches nothing');
  });
});

describe('the authenticator with its cache', () => {
  it('verifies a token once, then serves the same rights until exp; past exp the token is refused', async () => {
    let now = T0 * 1000;
    const auth = await createAuthenticator(baseOptions({ clock: () => now, clockToleranceSeconds: 0 }));
    const token = await sign(atClaims(['publish'], ['*'], { exp: T0 + 10 }));
    const first = await auth.authenticate(await bearer(token), HUB, 'publisher');
    const second = await auth.authenticate(await bearer(token), HUB, 'publisher');
    assert.ok(first !== undefined && second !== undefined, 'both authenticated');
    assert.equal(second.publish, first.publish, 'the second answer came from the cache (same selectors)');
    assert.equal(second.source, 'header', 'the source is the request’s own');
    now = (T0 + 10) * 1000 + 1;
    await assert.rejects(
      auth.authenticate(await bearer(token), HUB, 'publisher'),
      (err: { code?: string }) => err.code === 'invalid_token',
      'an expired token is verified again and refused',
    );
  });

  it('clearTokenCache forgets verified tokens', async () => {
    const auth = await createAuthenticator(baseOptions({ clock: () => T0 * 1000 }));
    const token = await sign(atClaims(['publish'], ['*'], { exp: T0 + 60 }));
    const first = await auth.authenticate(await bearer(token), HUB, 'publisher');
    auth.clearTokenCache();
    const again = await auth.authenticate(await bearer(token), HUB, 'publisher');
    assert.notEqual(again?.publish, first?.publish, 'verified again after clearing');
  });

  it('a token cached for one role is not taken for the other, and a changed signature is verified', async () => {
    const auth = await createAuthenticator(baseOptions({ clock: () => T0 * 1000 }));
    const token = await sign(atClaims(['publish', 'subscribe'], ['*'], { exp: T0 + 60 }));
    assert.ok((await auth.authenticate(await bearer(token), HUB, 'publisher')) !== undefined, 'publisher ok');
    await assert.rejects(
      auth.authenticate(await bearer(token), HUB, 'subscriber'),
      (err: { code?: string }) => err.code === 'invalid_token',
      'signed with the publisher key: refused as a subscriber token despite the cache',
    );
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
    await assert.rejects(
      auth.authenticate(await bearer(forged), HUB, 'publisher'),
      (err: { code?: string }) => err.code === 'invalid_token',
      'same claims, other signature: verified, refused',
    );
    const sub = await sign(atClaims(['subscribe'], ['*'], { exp: T0 + 60 }), { key: SUBSCRIBER_SECRET });
    assert.ok((await auth.authenticate(await bearer(sub), HUB, 'subscriber')) !== undefined, 'subscriber ok');
  });
});
