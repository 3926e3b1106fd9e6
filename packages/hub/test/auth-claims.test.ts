import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthOptions } from '../src/auth/auth-options.js';
import { MERCURE_DETAIL_TYPE } from '../src/auth/authorization-details.js';
import { payloadFor } from '../src/auth/payload-for.js';
import { grants, type Principal } from '../src/auth/principal.js';
import { isHubError } from '../src/errors.js';
import { authWith, baseOptions, HUB_URL, nowSeconds, SECRET, sign } from './auth-fixtures.js';

/**
 * Claims -> Principal: RFC 9396 `authorization_details` (at+jwt), the 0.x `mercure` claim, and
 * payload selection. Tokens are real HS256 tokens, verified by the real authenticator.
 */

const options = baseOptions();

/** Publisher-role principal of an at+jwt token carrying `details`. */
async function withDetails(details: unknown, opts: AuthOptions = options): Promise<Principal | undefined> {
  const token = await sign({ exp: nowSeconds() + 60, authorization_details: details });
  return authWith(opts, token, 'publisher');
}

async function legacy(
  claims: Record<string, unknown>,
  typ: string | null = 'JWT',
): Promise<Principal | undefined> {
  return authWith(options, await sign(claims, { typ }), 'publisher');
}

async function rejects(promise: Promise<unknown>, reason?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isHubError(err), `expected a HubError, got ${String(err)}`);
    assert.equal(err.code, 'invalid_token');
    if (reason) assert.match(err.message, reason);
    return true;
  });
}

const raws = (p: Principal | undefined, list: 'publish' | 'subscribe') => p?.[list].map((s) => s.raw);
const detail = (actions: unknown, topics: unknown, extra: Record<string, unknown> = {}) => ({
  type: MERCURE_DETAIL_TYPE,
  actions,
  topics,
  ...extra,
});
const exact = (...matches: string[]) => matches.map((match) => ({ match }));

describe('authorization_details (at+jwt)', () => {
  it('splits publish and subscribe rights, in token order', async () => {
    const p = await withDetails([
      detail(['publish'], exact('https://example.com/a')),
      detail(['subscribe', 'publish'], [{ match: 'https://example.com/b', match_type: 'exact' }]),
      detail(['subscribe'], exact('https://example.com/c', 'https://example.com/d')),
    ]);
    assert.deepEqual(raws(p, 'publish'), ['https://example.com/a', 'https://example.com/b']);
    assert.deepEqual(raws(p, 'subscribe'), [
      'https://example.com/b',
      'https://example.com/c',
      'https://example.com/d',
    ]);
    assert.equal(p?.payloads.length, 2, 'one payload grant per subscribe detail');
  });

  it('grants exactly what it lists (Exact is byte-for-byte)', async () => {
    const p = await withDetails([detail(['publish'], exact('https://example.com/books/1'))]);
    assert.ok(p, 'the token authorizes');
    assert.equal(grants(p.publish, ['https://example.com/books/1']), true);
    assert.equal(grants(p.publish, ['https://example.com/books/2']), false);
    assert.equal(grants(p.publish, ['https://example.com/Books/1']), false);
    assert.equal(grants(p.subscribe, ['https://example.com/books/1']), false);
  });

  it('`*` grants everything, with or without match_type', async () => {
    const p = await withDetails([
      detail(['subscribe'], [{ match: '*' }]),
      detail(['publish'], [{ match: '*', match_type: 'urlpattern' }]),
    ]);
    assert.ok(p, 'the token authorizes');
    assert.equal(grants(p.subscribe, ['anything']), true);
    assert.equal(grants(p.publish, ['urn:x']), true);
  });

  it('Authorization Details: unrecognised actions are ignored, not rejected, and grant nothing', async () => {
    const p = await withDetails([
      detail(['publish', 'delete', 'Publish'], exact('https://example.com/a')),
      detail(['write'], exact('https://example.com/b')),
    ]);
    assert.deepEqual(
      raws(p, 'publish'),
      ['https://example.com/a'],
      'publish still granted beside unknown actions',
    );
    assert.deepEqual(raws(p, 'subscribe'), [], 'an unknown action grants nothing');
  });

  it('Authorization Details: the type is the URI, compared byte by byte (the earlier "mercure" grants nothing)', async () => {
    const p = await withDetails([
      { type: 'mercure', actions: ['publish'], topics: exact('https://example.com/a') },
      { type: `${MERCURE_DETAIL_TYPE}/`, actions: ['publish'], topics: exact('https://example.com/b') },
      {
        type: MERCURE_DETAIL_TYPE.toUpperCase(),
        actions: ['publish'],
        topics: exact('https://example.com/c'),
      },
    ]);
    assert.deepEqual(raws(p, 'publish'), [], 'only the exact type URI is a Mercure detail');
  });

  it('Topic Matcher List: match_type absent means exact; urlpattern is case-sensitive', async () => {
    const p = await withDetails([
      detail(['publish'], [{ match: 'https://example.com/:id' }]),
      detail(['subscribe'], [{ match: 'https://example.com/:id', match_type: 'urlpattern' }]),
    ]);
    assert.ok(p, 'the token authorizes');
    assert.equal(grants(p.publish, ['https://example.com/1']), false, 'absent match_type is exact');
    assert.equal(grants(p.publish, ['https://example.com/:id']), true, 'exact matches itself');
    assert.equal(grants(p.subscribe, ['https://example.com/1']), true, 'urlpattern matches');
  });

  it('non-mercure details are ignored', async () => {
    const p = await withDetails([
      {
        type: 'payment_initiation',
        actions: ['initiate'],
        instructedAmount: { currency: 'EUR', amount: '1' },
      },
      detail(['publish'], exact('https://example.com/a')),
      { type: 'other', topics: 'whatever' },
    ]);
    assert.deepEqual(raws(p, 'publish'), ['https://example.com/a']);
  });

  it('no authorization_details: a valid token that grants nothing', async () => {
    const p = await authWith(options, await sign({ exp: nowSeconds() + 60, sub: 'x' }), 'publisher');
    assert.deepEqual(p?.publish, []);
    assert.deepEqual(p?.subscribe, []);
    assert.deepEqual(p?.payloads, []);
  });

  it('an empty authorization_details array grants nothing', async () => {
    const p = await withDetails([]);
    assert.deepEqual(p?.publish, []);
  });

  it('a 0.x mercure claim in an at+jwt token is ignored', async () => {
    const p = await authWith(
      options,
      await sign({ exp: nowSeconds() + 60, mercure: { publish: ['*'] } }),
      'publisher',
    );
    assert.deepEqual(p?.publish, []);
  });

  it('extra RFC 9396 members (locations, identifier...) are allowed', async () => {
    const p = await withDetails([
      detail(['publish'], exact('a'), { locations: ['https://hub.example.com'], identifier: 'x' }),
    ]);
    assert.deepEqual(raws(p, 'publish'), ['a']);
  });

  const good = detail(['publish'], exact('https://example.com/ok'));
  const rejected: [string, unknown, RegExp][] = [
    ['authorization_details is an object', { type: 'mercure' }, /not an array/],
    ['authorization_details is a string', 'mercure', /not an array/],
    ['an entry is a string', ['mercure'], /\[0\] is not an object/],
    ['an entry has no type', [{ actions: ['publish'] }], /string type/],
    ['an entry has a numeric type', [{ type: 1 }], /string type/],
    ['actions missing', [{ type: MERCURE_DETAIL_TYPE, topics: exact('a') }], /actions/],
    ['actions empty', [detail([], exact('a'))], /actions/],
    ['actions a string', [detail('publish', exact('a'))], /actions/],
    ['a numeric action', [detail([1], exact('a'))], /actions/],
    ['a null action beside a known one', [detail(['publish', null], exact('a'))], /actions/],
    ['topics missing', [{ type: MERCURE_DETAIL_TYPE, actions: ['publish'] }], /topics/],
    ['topics empty', [detail(['publish'], [])], /topics/],
    ['topics a string', [detail(['publish'], 'a')], /topics/],
    ['a topic that is a bare string', [detail(['publish'], ['a'])], /topics\[0\] is not an object/],
    ['a topic without match', [detail(['publish'], [{ match_type: 'exact' }])], /match/],
    ['a numeric match', [detail(['publish'], [{ match: 1 }])], /match/],
    ['an empty match', [detail(['publish'], [{ match: '' }])], /match/],
    ['a match with a control character', [detail(['publish'], [{ match: 'a\nb' }])], /control/],
    ['a match with a C1 control', [detail(['publish'], [{ match: 'a\u0085b' }])], /control/],
    [
      'match_type in the wrong case',
      [detail(['publish'], [{ match: 'a', match_type: 'Exact' }])],
      /match_type/,
    ],
    [
      'match_type URLPattern (an earlier revision)',
      [detail(['publish'], [{ match: 'a', match_type: 'URLPattern' }])],
      /match_type/,
    ],
    [
      'match_type uritemplate (0.x only)',
      [detail(['publish'], [{ match: 'a', match_type: 'uritemplate' }])],
      /match_type/,
    ],
    ['match_type null', [detail(['publish'], [{ match: 'a', match_type: null }])], /match_type/],
    ['an unknown match_type', [detail(['publish'], [{ match: 'a', match_type: 'regex' }])], /match_type/],
    [
      'an unknown match_type on `*`',
      [detail(['publish'], [{ match: '*', match_type: 'regex' }])],
      /match_type/,
    ],
    [
      'a match longer than the selector limit',
      [detail(['publish'], [{ match: 'x'.repeat(2049) }])],
      /longer than 2048/,
    ],
    ['a string payload', [detail(['subscribe'], exact('a'), { payload: 'x' })], /payload/],
    ['an array payload', [detail(['subscribe'], exact('a'), { payload: [1] })], /payload/],
    ['a null payload', [detail(['subscribe'], exact('a'), { payload: null })], /payload/],
    ['a good detail, then a bad one: no partial acceptance', [good, detail(['publish'], [])], /topics/],
    ['a bad detail, then a good one', [detail([7], exact('a')), good], /actions/],
  ];
  for (const [name, details, reason] of rejected) {
    it(`rejects the whole token: ${name}`, async () => {
      await rejects(withDetails(details), reason);
    });
  }

  it('at most 32 mercure details by default; other types do not count', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => detail(['publish'], exact(`t${i}`)));
    assert.equal((await withDetails(many(32)))?.publish.length, 32);
    await rejects(withDetails(many(33)), /more than 32 Mercure authorization details/);
    const others = Array.from({ length: 40 }, () => ({ type: 'other' }));
    assert.equal((await withDetails([...others, ...many(32)]))?.publish.length, 32);
  });

  it('at most 64 topics per detail by default', async () => {
    const topics = (n: number) => exact(...Array.from({ length: n }, (_, i) => `t${i}`));
    assert.equal((await withDetails([detail(['publish'], topics(64))]))?.publish.length, 64);
    await rejects(withDetails([detail(['publish'], topics(65))]), /more than 64 entries/);
  });

  it('limits are options', async () => {
    const tight = baseOptions({
      limits: { maxAuthorizationDetails: 1, maxTopicsPerDetail: 2, maxSelectorLength: 5 },
    });
    const short = detail(['publish'], exact('a'));
    await rejects(withDetails([short, short], tight), /more than 1 Mercure/);
    await rejects(withDetails([detail(['publish'], exact('a', 'b', 'c'))], tight), /more than 2 entries/);
    await rejects(withDetails([detail(['publish'], exact('abcdef'))], tight), /longer than 5/);
    assert.equal((await withDetails([detail(['publish'], exact('a', 'b'))], tight))?.publish.length, 2);
  });

  it('URLPattern topics: absolute, and relative to the hub URL', async () => {
    const p = await withDetails([
      detail(['subscribe'], [{ match: 'https://example.com/books/:id', match_type: 'urlpattern' }]),
      detail(['publish'], [{ match: '/.well-known/mercure/subscriptions/:rest*', match_type: 'urlpattern' }]),
    ]);
    assert.ok(p, 'the token authorizes');
    assert.equal(grants(p.subscribe, ['https://example.com/books/1']), true);
    assert.equal(grants(p.subscribe, ['https://example.com/authors/1']), false);
    assert.equal(
      grants(p.publish, ['https://hub.example.com/.well-known/mercure/subscriptions/Exact/a/b']),
      true,
    );
  });

  it('a malformed URL pattern rejects the token', async () => {
    await rejects(
      withDetails([detail(['subscribe'], [{ match: 'https://example.com/(', match_type: 'urlpattern' }])]),
    );
  });
});

describe('Token Validation (at+jwt): iss and aud', () => {
  const grant = [{ type: MERCURE_DETAIL_TYPE, actions: ['publish'], topics: [{ match: '*' }] }];
  const token = (claims: Record<string, unknown>) =>
    sign({ exp: nowSeconds() + 60, authorization_details: grant, ...claims });

  it('Token Validation: iss MUST be present and equal the trusted issuer', async () => {
    assert.ok(await authWith(options, await token({}), 'publisher'), 'the trusted issuer is accepted');
    await rejects(authWith(options, await token({ iss: undefined }), 'publisher'), /without iss/);
    await rejects(
      authWith(options, await token({ iss: 'https://other.example' }), 'publisher'),
      /trusted issuer/,
    );
    await rejects(authWith(options, await token({ iss: 42 }), 'publisher'), /without iss/);
  });

  it('Token Validation: a hub with no trusted issuer refuses every at+jwt token (0.x tokens still work)', async () => {
    const none = baseOptions({ issuer: undefined });
    await rejects(authWith(none, await token({}), 'publisher'), /trusts no issuer/);
    const legacyToken = await sign({ mercure: { publish: ['*'] } }, { typ: 'JWT' });
    assert.ok(await authWith(none, legacyToken, 'publisher'), 'a 0.x token needs no issuer');
  });

  it('Token Validation: aud MUST contain the resource identifier, by default the hub URL', async () => {
    assert.ok(await authWith(options, await token({ aud: HUB_URL }), 'publisher'), 'a string aud');
    assert.ok(
      await authWith(options, await token({ aud: ['https://elsewhere.example', HUB_URL] }), 'publisher'),
      'an array aud holding the hub URL',
    );
    await rejects(authWith(options, await token({ aud: undefined }), 'publisher'), /aud/);
    await rejects(authWith(options, await token({ aud: 'https://elsewhere.example' }), 'publisher'), /aud/);
    // Prefix or case variants are other identifiers (RFC 7519 4.1.3: StringOrURI compared as strings).
    await rejects(authWith(options, await token({ aud: HUB_URL.toUpperCase() }), 'publisher'), /aud/);
    const configured = baseOptions({ audience: 'https://hub.example.com' });
    assert.ok(
      await authWith(configured, await token({ aud: 'https://hub.example.com' }), 'publisher'),
      'a configured resource identifier replaces the hub URL',
    );
    await rejects(authWith(configured, await token({ aud: HUB_URL }), 'publisher'), /aud/);
  });
});

describe('0.x mercure claim', () => {
  it('any typ (or none), exp optional, `*` everywhere', async () => {
    for (const typ of ['JWT', 'jwt', null]) {
      const p = await legacy({ mercure: { publish: ['*'], subscribe: ['*'] } }, typ);
      assert.deepEqual(raws(p, 'publish'), ['*'], String(typ));
      assert.deepEqual(raws(p, 'subscribe'), ['*']);
      assert.equal(p?.expiresAt, undefined);
      assert.equal(p?.publish[0]?.type, 'uritemplate');
    }
  });

  it('exp is still enforced when present; nbf too', async () => {
    await rejects(legacy({ exp: nowSeconds() - 60, mercure: { publish: ['*'] } }), /expired/);
    await rejects(legacy({ nbf: nowSeconds() + 60, mercure: { publish: ['*'] } }), /not yet valid/);
    assert.equal(
      (await legacy({ exp: nowSeconds() + 60, mercure: { publish: ['*'] } }))?.expiresAt,
      nowSeconds() + 60,
    );
  });

  it('exact topics and URI templates', async () => {
    const p = await legacy({
      mercure: { subscribe: ['https://example.com/books/{id}', 'https://example.com/about'] },
    });
    assert.ok(p, 'the legacy token authorizes');
    assert.equal(grants(p.subscribe, ['https://example.com/books/1']), true);
    assert.equal(grants(p.subscribe, ['https://example.com/about']), true);
    assert.equal(grants(p.subscribe, ['https://example.com/authors/1']), false);
    assert.deepEqual(p.publish, []);
  });

  it('missing or null lists grant nothing; no mercure claim grants nothing', async () => {
    const p = await legacy({ mercure: { publish: null } });
    assert.deepEqual(p?.publish, []);
    assert.deepEqual(p?.subscribe, []);
    const q = await legacy({ sub: 'x' });
    assert.deepEqual(q?.publish, []);
    assert.equal(q?.subject, 'x');
  });

  const rejected: [string, unknown, RegExp][] = [
    ['claim is a string', '*', /mercure claim is not an object/],
    ['claim is an array', ['*'], /mercure claim is not an object/],
    ['publish is a string', { publish: '*' }, /mercure.publish is not an array/],
    ['subscribe holds a number', { subscribe: ['*', 1] }, /mercure.subscribe\[1\]/],
    ['subscribe holds an empty string', { subscribe: [''] }, /mercure.subscribe\[0\]/],
    ['a selector with a NUL', { publish: ['a\u0000'] }, /control/],
    ['a malformed URI template', { subscribe: ['https://example.com/{id'] }, /mercure.subscribe\[0\]/],
  ];
  for (const [name, claim, reason] of rejected) {
    it(`rejects: ${name}`, async () => {
      await rejects(legacy({ mercure: claim }), reason);
    });
  }

  it('at most maxLegacySelectors per list', async () => {
    const tight = baseOptions({ limits: { maxLegacySelectors: 2 } });
    const token = await sign({ mercure: { publish: ['*', '*', '*'] } }, { typ: 'JWT' });
    await rejects(authWith(tight, token, 'publisher'), /more than 2 entries/);
  });

  it('aud and iss are checked only when present', async () => {
    const strict = baseOptions({ audience: 'https://hub.example.com', issuer: 'https://issuer.example' });
    const mk = (claims: Record<string, unknown>) =>
      sign({ mercure: { publish: ['*'] }, ...claims }, { typ: 'JWT' });
    assert.deepEqual(raws(await authWith(strict, await mk({}), 'publisher'), 'publish'), ['*']);
    assert.ok(
      await authWith(
        strict,
        await mk({ aud: ['https://hub.example.com'], iss: 'https://issuer.example' }),
        'publisher',
      ),
      'a token with the expected aud and iss authorizes',
    );
    await rejects(authWith(strict, await mk({ aud: 'https://elsewhere.example' }), 'publisher'), /aud/);
    await rejects(authWith(strict, await mk({ iss: 'https://evil.example' }), 'publisher'), /iss/);
  });

  it('a 0.x token is still bound to its role', async () => {
    const token = await sign({ mercure: { publish: ['*'] } }, { typ: 'JWT', key: SECRET });
    await rejects(authWith(options, token, 'subscriber'), /signature/);
  });
});

describe('payloads (Mercure "Payloads")', () => {
  const specExample = [
    detail(['subscribe'], exact('https://example.com/foo'), { payload: { custom1: 'foo' } }),
    detail(['subscribe'], [{ match: 'https://example.com/bar/:id', match_type: 'urlpattern' }], {
      payload: { custom2: 'bar' },
    }),
    detail(['subscribe'], exact('*'), { payload: { custom3: 'default' } }),
  ];

  it('the first subscribe detail whose topics match the subscription matcher wins; `*` is the default', async () => {
    const p = await withDetails([specExample[0], specExample[2]]);
    assert.deepEqual(payloadFor(p, 'https://example.com/foo'), { custom1: 'foo' });
    assert.deepEqual(payloadFor(p, 'https://example.com/other'), { custom3: 'default' });
    assert.deepEqual(payloadFor(p, '*'), { custom3: 'default' });
  });

  it('order matters: a broad entry first masks later ones', async () => {
    const p = await withDetails([specExample[2], specExample[0]]);
    assert.deepEqual(payloadFor(p, 'https://example.com/foo'), { custom3: 'default' });
  });

  it('the first matching detail wins even without a payload', async () => {
    const p = await withDetails([detail(['subscribe'], exact('*')), specExample[0]]);
    assert.equal(payloadFor(p, 'https://example.com/foo'), undefined);
  });

  it('publish-only details never give payloads', async () => {
    const p = await withDetails([detail(['publish'], exact('*'), { payload: { nope: true } })]);
    assert.equal(payloadFor(p, 'https://example.com/foo'), undefined);
  });

  it('no match, no principal: no payload', async () => {
    const p = await withDetails([specExample[0]]);
    assert.equal(payloadFor(p, 'https://example.com/other'), undefined);
    assert.equal(payloadFor(undefined, 'https://example.com/foo'), undefined);
  });

  it('URL pattern details match the identical subscription matcher', async () => {
    const p = await withDetails(specExample);
    assert.deepEqual(payloadFor(p, 'https://example.com/bar/:id'), { custom2: 'bar' });
    assert.deepEqual(payloadFor(p, 'https://example.com/bar/7'), { custom2: 'bar' });
    assert.deepEqual(payloadFor(p, 'https://example.com/baz'), { custom3: 'default' });
  });

  it('0.x: the payload belongs to every subscription', async () => {
    const p = await legacy({ mercure: { subscribe: ['*'], payload: { user: 'u1' } } });
    assert.deepEqual(payloadFor(p, 'https://example.com/anything'), { user: 'u1' });
    assert.deepEqual(payloadFor(p, 'https://example.com/books/{id}'), { user: 'u1' });
  });
});
