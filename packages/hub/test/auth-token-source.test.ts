import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { findToken } from '../src/auth/token-source.js';
import { isHubError } from '../src/errors.js';
import {
  type AuthServer,
  atClaims,
  baseOptions,
  SUBSCRIBER_SECRET,
  sign,
  startAuthServer,
} from './auth-fixtures.js';

/** Three valid subscriber tokens told apart by their `sub`, so the test sees which one was used. */
let headerToken: string;
let queryToken: string;
let cookieToken: string;
let server: AuthServer;
let noQueryServer: AuthServer;

before(async () => {
  const make = (sub: string) => sign(atClaims(['subscribe'], ['*'], { sub }), { key: SUBSCRIBER_SECRET });
  [headerToken, queryToken, cookieToken] = await Promise.all([make('header'), make('query'), make('cookie')]);
  server = await startAuthServer(await createAuthenticator(baseOptions()));
  noQueryServer = await startAuthServer(await createAuthenticator(baseOptions({ allowQueryToken: false })));
});
after(async () => {
  await server.close();
  await noQueryServer.close();
});

describe('token precedence (Mercure "Presenting the Access Token")', () => {
  it('no token at all: anonymous (undefined), not an error', async () => {
    const out = await server.call('/sub?match=x', { cookie: 'other=1' });
    assert.equal(out.status, 200);
    assert.equal(out.principal, null);
  });

  it('header beats query and cookie', async () => {
    const out = await server.call(`/sub?authorization=${queryToken}`, {
      authorization: `Bearer ${headerToken}`,
      cookie: `mercureAuthorization=${cookieToken}`,
    });
    assert.equal(out.principal?.subject, 'header');
    assert.equal(out.principal?.source, 'header');
  });

  it('Presenting the Access Token: the Authorization header is used and the __Secure- cookie ignored', async () => {
    const out = await server.call('/sub', {
      authorization: `Bearer ${headerToken}`,
      cookie: `__Secure-mercure_access_token=${cookieToken}`,
    });
    assert.equal(out.status, 200, 'a request with both is not rejected');
    assert.equal(out.principal?.subject, 'header', 'the header token is the one used');
  });

  it('Presenting the Access Token: with no Authorization header, the __Secure- cookie is used', async () => {
    const out = await server.call('/sub', { cookie: `__Secure-mercure_access_token=${cookieToken}` });
    assert.equal(out.principal?.subject, 'cookie', 'the cookie token is used');
  });

  it('query beats cookie', async () => {
    const out = await server.call(`/sub?authorization=${queryToken}`, {
      cookie: `mercureAccessToken=${cookieToken}`,
    });
    assert.equal(out.principal?.subject, 'query');
    assert.equal(out.principal?.source, 'query');
  });

  it('cookie alone is used', async () => {
    const out = await server.call('/sub', { cookie: `a=b; mercureAccessToken=${cookieToken}; c=d` });
    assert.equal(out.principal?.subject, 'cookie');
    assert.equal(out.principal?.source, 'cookie');
  });

  it('the ignored lower-precedence token may be garbage: exactly one is used', async () => {
    const out = await server.call('/sub?authorization=garbage', {
      authorization: `Bearer ${headerToken}`,
      cookie: 'mercureAuthorization=garbage',
    });
    assert.equal(out.principal?.subject, 'header');
  });

  it('a bad header is not rescued by a good query token or cookie', async () => {
    const out = await server.call(`/sub?authorization=${queryToken}`, {
      authorization: 'Bearer not-a-jwt',
      cookie: `mercureAuthorization=${cookieToken}`,
    });
    assert.equal(out.status, 401);
    assert.equal(out.error?.code, 'invalid_token');
  });

  it('0.x `authorization` query parameter', async () => {
    const out = await server.call(`/sub?authorization=${queryToken}`);
    assert.equal(out.principal?.subject, 'query');
  });

  it('Presenting the Access Token: the access_token query parameter is not accepted (400 invalid_request)', async () => {
    for (const path of [
      `/sub?access_token=${queryToken}`,
      `/sub?authorization=${queryToken}&access_token=x`,
    ]) {
      const out = await server.call(path);
      assert.equal(out.status, 400, `${path}: ${JSON.stringify(out)}`);
      assert.equal(out.error?.code, 'invalid_request', path);
      assert.match(out.error?.headers['WWW-Authenticate'] ?? '', /error="invalid_request"/, path);
    }
  });

  for (const name of ['mercureAuthorization', 'mercureAccessToken', '__Secure-mercure_access_token']) {
    it(`default cookie name ${name}`, async () => {
      const out = await server.call('/sub', { cookie: `${name}=${cookieToken}` });
      assert.equal(out.principal?.subject, 'cookie');
    });
  }

  it('cookie value in double quotes', async () => {
    const out = await server.call('/sub', { cookie: `mercureAccessToken="${cookieToken}"` });
    assert.equal(out.principal?.subject, 'cookie');
  });
});

describe('Error Responses: a malformed presentation is 400 invalid_request, never anonymous', () => {
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['Basic scheme', '/sub', { authorization: 'Basic dXNlcjpwYXNz' }, /scheme is not Bearer/],
    ['Bearer with no token', '/sub', { authorization: 'Bearer' }, /empty Bearer token/],
    ['Bearer with blank token', '/sub', { authorization: 'Bearer    ' }, /empty Bearer token/],
    ['Bearer with two words', '/sub', { authorization: 'Bearer a b' }, /malformed Authorization header/],
    ['empty Authorization header', '/sub', { authorization: '' }, /malformed Authorization header/],
    ['empty access_token', '/sub?access_token=', {}, /access_token/],
    [
      'two authorization parameters',
      '/sub?authorization=a&authorization=b',
      {},
      /more than one authorization/,
    ],
    ['empty authorization parameter', '/sub?authorization=', {}, /empty authorization/],
    ['empty cookie', '/sub', { cookie: 'mercureAuthorization=' }, /empty mercureAuthorization cookie/],
  ];
  for (const [name, path, headers, reason] of cases) {
    it(name, async () => {
      const out = await server.call(path, headers);
      assert.equal(out.status, 400, JSON.stringify(out));
      assert.equal(out.error?.code, 'invalid_request', 'the RFC 6750 code');
      assert.match(out.error?.message ?? '', reason);
      assert.match(
        out.error?.headers['WWW-Authenticate'] ?? '',
        /^Bearer realm="mercure", error="invalid_request"/,
        'a Bearer challenge with error="invalid_request"',
      );
    });
  }

  it('the scheme is case-insensitive', async () => {
    const out = await server.call('/sub', { authorization: `bEaReR ${headerToken}` });
    assert.equal(out.principal?.subject, 'header');
  });
});

describe('allowQueryToken: false', () => {
  it('a query token is refused, not ignored', async () => {
    const out = await noQueryServer.call(`/sub?authorization=${queryToken}`);
    assert.equal(out.status, 400, 'refused');
    assert.equal(out.error?.code, 'invalid_request', 'as a malformed presentation');
    assert.match(out.error?.message ?? '', /disabled/);
  });

  it('the header still wins and works', async () => {
    const out = await noQueryServer.call(`/sub?authorization=${queryToken}`, {
      authorization: `Bearer ${headerToken}`,
    });
    assert.equal(out.principal?.subject, 'header');
  });

  it('cookies still work', async () => {
    const out = await noQueryServer.call('/sub', { cookie: `mercureAccessToken=${cookieToken}` });
    assert.equal(out.principal?.subject, 'cookie');
  });
});

describe('findToken', () => {
  const url = (q = '') => new URL(`https://hub.example.com/.well-known/mercure${q}`);
  const opts = { cookieNames: ['first', 'second'], allowQueryToken: true };

  it('configured cookie names are searched in order, first occurrence winning', () => {
    assert.deepEqual(findToken({ cookie: 'second=b; first=a; first=z' }, url(), opts), {
      token: 'a',
      source: 'cookie',
    });
    assert.deepEqual(findToken({ cookie: 'second=b' }, url(), opts), { token: 'b', source: 'cookie' });
    assert.equal(findToken({ cookie: 'mercureAuthorization=x' }, url(), opts), undefined);
  });

  it('never puts the token in the error', () => {
    const secret = 'eyJzZWNyZXQiOiJ5ZXMifQ';
    try {
      findToken({ authorization: `Token ${secret}` }, url(), opts);
      assert.fail('should throw');
    } catch (err) {
      assert.ok(isHubError(err), `a HubError, got ${String(err)}`);
      assert.ok(!err.message.includes(secret), 'the token is not in the error message');
      assert.ok(!JSON.stringify(err.headers).includes(secret), 'the token is not in the error headers');
    }
  });
});
