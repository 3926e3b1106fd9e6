import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthenticator, type HubAuthenticator } from '../src/auth/authenticator.js';
import { grants } from '../src/auth/principal.js';
import {
  type AuthOutcome,
  type AuthServer,
  b64url,
  baseOptions,
  bytes,
  HUB,
  HUB_URL,
  hmacToken,
  keyPair,
  loopbackRequest,
  SECRET,
  SUBSCRIBER_SECRET,
  sign,
  startAuthServer,
  type TestKeyPair,
  unsignedToken,
} from './auth-fixtures.js';

/**
 * The auth rows of bad-inputs.md, end to end: real jose-signed tokens sent over real HTTP to a
 * server running `authenticate`, with an injected clock.
 */

const ISSUER = 'https://issuer.example';
/** The hub's clock, in seconds; tokens are built around it. */
const T0 = 1_900_000_000;
let rsa: TestKeyPair;
let ec: TestKeyPair;
let ed: TestKeyPair;
let server: AuthServer;
let auth: HubAuthenticator;

/** Valid at+jwt claims at T0, granting subscribe on `*`. */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: HUB_URL,
    sub: 'alice',
    exp: T0 + 600,
    authorization_details: [
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions: ['subscribe', 'publish'],
        topics: [{ match: '*' }],
      },
    ],
    ...extra,
  };
}

before(async () => {
  [rsa, ec, ed] = await Promise.all([keyPair('rsa'), keyPair('ec'), keyPair('ed25519')]);
  auth = await createAuthenticator(
    baseOptions({
      publisherKeys: [SECRET],
      subscriberKeys: [rsa.publicPem, ec.publicPem, ed.publicPem, SUBSCRIBER_SECRET],
      issuer: ISSUER,
      audience: HUB_URL,
      clock: () => T0 * 1000,
    }),
  );
  server = await startAuthServer(auth);
});
after(() => server.close());

const sub = (token: string): Promise<AuthOutcome> =>
  server.call('/sub', { authorization: `Bearer ${token}` });
const pub = (token: string): Promise<AuthOutcome> =>
  server.call('/publish', { authorization: `Bearer ${token}` });

function assertInvalid(out: AuthOutcome, reason?: RegExp, token?: string): void {
  assert.equal(out.status, 401, JSON.stringify(out));
  assert.equal(out.error?.code, 'invalid_token');
  assert.match(
    out.error?.headers['WWW-Authenticate'] ?? '',
    /^Bearer realm="mercure", error="invalid_token"/,
  );
  if (reason) assert.match(out.error?.message ?? '', reason);
  if (token) {
    // Never echo the token, nor any of its segments.
    for (const part of token.split('.').filter((p) => p.length > 8)) {
      assert.ok(!JSON.stringify(out).includes(part), 'the answer echoes the token');
    }
  }
}

describe('valid tokens', () => {
  it('HS256 publisher token', async () => {
    const out = await pub(await sign(claims()));
    assert.equal(out.status, 200, JSON.stringify(out));
    assert.deepEqual(out.principal, {
      subject: 'alice',
      expiresAt: T0 + 600,
      publish: ['*'],
      subscribe: ['*'],
      payloads: [null],
      source: 'header',
    });
  });

  for (const [alg, pair] of [
    ['RS256', () => rsa],
    ['PS256', () => rsa],
    ['ES256', () => ec],
    ['EdDSA', () => ed],
  ] as const) {
    it(`${alg} subscriber token`, async () => {
      const out = await sub(await sign(claims(), { alg, key: pair().privateKey }));
      assert.equal(out.principal?.subject, 'alice', JSON.stringify(out));
      assert.deepEqual(out.principal?.subscribe, ['*']);
    });
  }

  it('HS384 and HS512 with the subscriber secret', async () => {
    for (const alg of ['HS384', 'HS512']) {
      const out = await sub(await sign(claims(), { alg, key: SUBSCRIBER_SECRET }));
      assert.equal(out.principal?.subject, 'alice', alg);
    }
  });

  it('typ is case-insensitive and may carry application/', async () => {
    for (const typ of ['AT+JWT', 'application/at+jwt', 'Application/AT+jwt']) {
      const out = await pub(await sign(claims(), { typ }));
      assert.equal(out.principal?.subject, 'alice', typ);
    }
  });

  it('aud may be an array containing the hub', async () => {
    const out = await pub(await sign(claims({ aud: ['https://other.example', HUB_URL] })));
    assert.equal(out.principal?.subject, 'alice');
  });

  it('no sub: subject undefined', async () => {
    const out = await pub(await sign(claims({ sub: undefined })));
    assert.equal(out.status, 200);
    assert.equal(out.principal?.subject, undefined);
  });
});

describe('bad inputs (bad-inputs.md, auth rows): 401 invalid_token', () => {
  it('no token: anonymous, no error', async () => {
    const out = await server.call('/sub');
    assert.equal(out.status, 200);
    assert.equal(out.principal, null);
  });

  it('bad signature (another secret)', async () => {
    const token = await sign(claims(), { key: 'not-the-publisher-secret-at-all!!!' });
    assertInvalid(await pub(token), /signature verification failed/, token);
  });

  it('bad signature (payload tampered after signing)', async () => {
    const [h, , s] = (await sign(claims())).split('.');
    const tampered = `${h}.${b64url(claims({ sub: 'mallory' }))}.${s}`;
    assertInvalid(await pub(tampered), /signature verification failed/, tampered);
  });

  it('bad signature (RSA signature from another key)', async () => {
    const other = await keyPair('rsa');
    assertInvalid(await sub(await sign(claims(), { alg: 'RS256', key: other.privateKey })), /signature/);
  });

  const malformed: [string, string][] = [
    ['one segment', 'abcdef'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['five segments (a JWE)', 'a.b.c.d.e'],
    ['not base64url', 'ab$c.de!f.gh'],
    ['base64 padding', 'eyJhbGciOiJIUzI1NiJ9=.e30.abc'],
    ['header not JSON', `${b64url('not json')}.${b64url({})}.c2ln`],
    ['header is a JSON array', `${b64url([1])}.${b64url({})}.c2ln`],
    ['empty segments', '..'],
  ];
  for (const [name, token] of malformed) {
    it(`malformed token: ${name}`, async () => {
      assertInvalid(await pub(token), /malformed/);
    });
  }

  it('payload not JSON, but correctly signed', async () => {
    assertInvalid(await pub(hmacToken({ alg: 'HS256', typ: 'at+jwt' }, 'not json')), /malformed/);
    assertInvalid(await pub(hmacToken({ alg: 'HS256', typ: 'at+jwt' }, [claims()])), /malformed/);
    // The hand-made signer itself is right: the same route with valid claims passes.
    assert.equal((await pub(hmacToken({ alg: 'HS256', typ: 'at+jwt' }, claims()))).status, 200);
  });

  it('alg: none', async () => {
    assertInvalid(await pub(unsignedToken(claims())), /alg none/);
    assertInvalid(await sub(unsignedToken(claims())), /alg none/);
    // With a signature segment attached, and spelled differently.
    const withSig = `${b64url({ alg: 'None', typ: 'at+jwt' })}.${b64url(claims())}.c2ln`;
    assertInvalid(await pub(withSig), /alg none/);
  });

  it('no alg, or an unknown one', async () => {
    assertInvalid(await pub(`${b64url({ typ: 'at+jwt' })}.${b64url(claims())}.c2ln`), /no alg/);
    assertInvalid(await pub(`${b64url({ alg: 'HS1' })}.${b64url(claims())}.c2ln`), /not allowed/);
  });

  it('HS256 signed with the hub RSA public key PEM as the secret (algorithm confusion)', async () => {
    const forged = await sign(claims(), { alg: 'HS256', key: bytes(rsa.publicPem) });
    // The subscriber role has an HMAC secret too: the forgery must still fail (bad signature),
    // and the RSA key must never be used as an HMAC secret.
    assertInvalid(await sub(forged), /signature verification failed/, forged);
    const rsaOnly = await createAuthenticator(
      baseOptions({ subscriberKeys: [rsa.publicPem], clock: () => T0 * 1000 }),
    );
    await assert.rejects(
      rsaOnly.authenticate(await loopbackRequest({ authorization: `Bearer ${forged}` }), HUB, 'subscriber'),
      {
        code: 'invalid_token',
        message: /no key of this hub verifies HS256/,
      },
    );
  });

  it('expired exp', async () => {
    const token = await sign(claims({ exp: T0 - 60 }));
    assertInvalid(await pub(token), /expired/, token);
  });

  it('exp within the 5 s clock tolerance is still accepted; beyond it is not', async () => {
    assert.equal((await pub(await sign(claims({ exp: T0 - 4 })))).status, 200);
    assertInvalid(await pub(await sign(claims({ exp: T0 - 5 }))), /expired/);
  });

  it('future nbf', async () => {
    assertInvalid(await pub(await sign(claims({ nbf: T0 + 60 }))), /not yet valid/);
  });

  it('nbf within the clock tolerance; nbf in the past', async () => {
    assert.equal((await pub(await sign(claims({ nbf: T0 + 5 })))).status, 200);
    assert.equal((await pub(await sign(claims({ nbf: T0 - 100 })))).status, 200);
  });

  it('exp, nbf or iat that are not numbers', async () => {
    assertInvalid(await pub(await sign(claims({ exp: String(T0 + 600) }))), /exp/);
    assertInvalid(await pub(await sign(claims({ nbf: 'soon' }))), /nbf/);
    assertInvalid(await pub(await sign(claims({ iat: 'now' }))), /iat/);
  });

  it('wrong aud, missing aud', async () => {
    assertInvalid(await pub(await sign(claims({ aud: 'https://other.example/.well-known/mercure' }))), /aud/);
    assertInvalid(await pub(await sign(claims({ aud: ['https://other.example'] }))), /aud/);
    assertInvalid(await pub(await sign(claims({ aud: undefined }))), /aud/);
  });

  it('wrong iss, missing iss', async () => {
    assertInvalid(await pub(await sign(claims({ iss: 'https://evil.example' }))), /iss/);
    assertInvalid(await pub(await sign(claims({ iss: undefined }))), /iss/);
  });

  it('wrong typ: authorization_details in a token not typed at+jwt', async () => {
    for (const typ of ['JWT', 'id_token+jwt', null] as const) {
      assertInvalid(await pub(await sign(claims(), { typ })), /requires typ at\+jwt/);
    }
  });

  it('at+jwt without exp', async () => {
    assertInvalid(await pub(await sign(claims({ exp: undefined }))), /without exp/);
  });

  it('typ or kid that are not strings; sub that is not a string', async () => {
    assertInvalid(await pub(await sign(claims(), { extraHeader: { typ: 7 }, typ: null })), /typ/);
    assertInvalid(await pub(await sign(claims(), { extraHeader: { kid: 7 } })), /kid/);
    assertInvalid(await pub(await sign(claims({ sub: 42 }))), /sub/);
  });

  it('unknown critical header', async () => {
    const token = hmacToken({ alg: 'HS256', typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': 1 }, claims());
    assertInvalid(await pub(token), /unsupported/);
  });

  it('over the token length limit', async () => {
    const small = await createAuthenticator(baseOptions({ limits: { maxTokenLength: 64 } }));
    await assert.rejects(
      small.authenticate(
        await loopbackRequest({ authorization: `Bearer ${await sign(claims())}` }),
        HUB,
        'publisher',
      ),
      {
        code: 'invalid_token',
        message: /longer than 64/,
      },
    );
  });
});

describe('roles: keys are chosen by the endpoint, never by the token', () => {
  it('a subscriber token cannot publish', async () => {
    const token = await sign(claims(), { key: SUBSCRIBER_SECRET });
    assert.equal((await sub(token)).status, 200);
    assertInvalid(await pub(token), /signature verification failed/);
  });

  it('an RS256 subscriber token cannot publish (no publisher key verifies RS256)', async () => {
    const token = await sign(claims(), { alg: 'RS256', key: rsa.privateKey });
    assert.equal((await sub(token)).status, 200);
    assertInvalid(await pub(token), /no key/);
  });

  it('a publisher token is not a subscriber token', async () => {
    const token = await sign(claims());
    assert.equal((await pub(token)).status, 200);
    assertInvalid(await sub(token), /signature verification failed/);
  });

  it('no publisher keys (dev mode): anyone may publish anything, tokens are not inspected', async () => {
    const open = await createAuthenticator(baseOptions({ publisherKeys: [] }));
    assert.equal(open.openPublishing, true);
    assert.equal(auth.openPublishing, false);
    for (const [headers, source] of [
      [{}, 'header'],
      [{ authorization: 'Bearer garbage' }, 'header'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'header'],
      // Cookie-borne requests say so, so that the HTTP layer's Origin check still applies.
      [{ cookie: 'mercureAuthorization=garbage' }, 'cookie'],
    ] as const) {
      const p = await open.authenticate(await loopbackRequest(headers), HUB, 'publisher');
      assert.ok(p, JSON.stringify(headers));
      assert.equal(p.source, source);
      assert.deepEqual(
        p.publish.map((s) => s.raw),
        ['*'],
      );
      assert.deepEqual(p.subscribe, []);
      assert.equal(grants(p.publish, ['https://example.com/any']), true);
    }
    // Subscribers are unaffected: their tokens are still verified.
    await assert.rejects(
      open.authenticate(await loopbackRequest({ authorization: 'Bearer garbage' }), HUB, 'subscriber'),
      {
        code: 'invalid_token',
      },
    );
  });

  it('no subscriber keys (development): a presented token is not verified, the request is anonymous', async () => {
    const anonymousOnly = await createAuthenticator(baseOptions({ subscriberKeys: [] }));
    assert.equal(anonymousOnly.acceptsSubscriberTokens, false);
    assert.equal(await anonymousOnly.authenticate(await loopbackRequest(), HUB, 'subscriber'), undefined);
    for (const authorization of [`Bearer ${await sign(claims())}`, 'Bearer garbage']) {
      assert.equal(
        await anonymousOnly.authenticate(await loopbackRequest({ authorization }), HUB, 'subscriber'),
        undefined,
        'served as anonymous, not refused',
      );
    }
  });
});

describe('the clock is injected', () => {
  it('the same token is valid, then expired, as the clock moves', async () => {
    let now = T0 * 1000;
    const moving = await createAuthenticator(baseOptions({ clock: () => now }));
    const token = await sign({ exp: T0 + 10 }, { typ: 'at+jwt' });
    const req = await loopbackRequest({ authorization: `Bearer ${token}` });
    assert.equal((await moving.authenticate(req, HUB, 'publisher'))?.expiresAt, T0 + 10);
    now = (T0 + 16) * 1000;
    await assert.rejects(moving.authenticate(req, HUB, 'publisher'), {
      code: 'invalid_token',
      message: /expired/,
    });
  });

  it('clockToleranceSeconds: 0 is strict', async () => {
    const strict = await createAuthenticator(
      baseOptions({ clock: () => T0 * 1000, clockToleranceSeconds: 0 }),
    );
    const req = await loopbackRequest({ authorization: `Bearer ${await sign({ exp: T0 })}` });
    await assert.rejects(strict.authenticate(req, HUB, 'publisher'), { code: 'invalid_token' });
  });
});
