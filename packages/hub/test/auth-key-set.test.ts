import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { AuthConfigError, loadKeySet, selectKeys } from '../src/auth/key-set.js';
import { isHubError } from '../src/errors.js';
import {
  atClaims,
  authWith,
  baseOptions,
  bytes,
  keyPair,
  SECRET,
  sign,
  type TempDir,
  type TestKeyPair,
  tempDir,
} from './auth-fixtures.js';

let rsa: TestKeyPair;
let ec: TestKeyPair;
let ed: TestKeyPair;
let tmp: TempDir;
const claims = () => atClaims(['subscribe'], ['https://example.com/a'], { sub: 'ok' });

before(async () => {
  [rsa, ec, ed] = await Promise.all([keyPair('rsa'), keyPair('ec'), keyPair('ed25519')]);
  tmp = await tempDir();
});
after(() => tmp.cleanup());

async function expectInvalid(promise: Promise<unknown>, reason?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isHubError(err), `expected a HubError, got ${String(err)}`);
    assert.equal(err.code, 'invalid_token');
    if (reason) assert.match(err.message, reason);
    return true;
  });
}

async function expectConfigError(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AuthConfigError, `expected an AuthConfigError, got ${String(err)}`);
    assert.match(err.message, reason);
    return true;
  });
}

describe('key specs', () => {
  it('PEM string (RSA): RS256 and PS256 tokens verify', async () => {
    const options = baseOptions({ subscriberKeys: [rsa.publicPem] });
    for (const alg of ['RS256', 'PS256']) {
      const p = await authWith(options, await sign(claims(), { alg, key: rsa.privateKey }));
      assert.equal(p?.subject, 'ok', alg);
    }
  });

  it('PEM string (EC P-256): ES256 verifies', async () => {
    const p = await authWith(
      baseOptions({ subscriberKeys: [ec.publicPem] }),
      await sign(claims(), { alg: 'ES256', key: ec.privateKey }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('PEM string (Ed25519): EdDSA verifies', async () => {
    const p = await authWith(
      baseOptions({ subscriberKeys: [ed.publicPem] }),
      await sign(claims(), { alg: 'EdDSA', key: ed.privateKey }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('PEM with surrounding whitespace', async () => {
    const p = await authWith(
      baseOptions({ subscriberKeys: [`\n  ${ec.publicPem}\n`] }),
      await sign(claims(), { alg: 'ES256', key: ec.privateKey }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('path to a PEM file', async () => {
    const path = await tmp.file('rsa.pem', rsa.publicPem);
    const p = await authWith(
      baseOptions({ subscriberKeys: [path] }),
      await sign(claims(), { alg: 'RS256', key: rsa.privateKey }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('a private-key PEM is accepted: its public half verifies', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p = await authWith(
      baseOptions({ subscriberKeys: [pem] }),
      await sign(claims(), { alg: 'ES256', key: privateKey }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('X.509 certificate PEM (string and file)', async () => {
    const keyPath = join(tmp.dir, 'cert-key.pem');
    const certPath = join(tmp.dir, 'cert.pem');
    // openssl is installed by scripts/ensure-deps.sh: a missing binary fails here, it is not a skip.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=tidings-test',
      ],
      { stdio: 'ignore' },
    );
    const { createPrivateKey } = await import('node:crypto');
    const privateKey = createPrivateKey(await readFile(keyPath, 'utf8'));
    const cert = await readFile(certPath, 'utf8');
    assert.match(cert, /BEGIN CERTIFICATE/);
    const token = await sign(claims(), { alg: 'ES256', key: privateKey });
    assert.equal((await authWith(baseOptions({ subscriberKeys: [cert] }), token))?.subject, 'ok');
    assert.equal((await authWith(baseOptions({ subscriberKeys: [certPath] }), token))?.subject, 'ok');
  });

  it('anything else is an HMAC secret, used byte for byte', async () => {
    const options = baseOptions({ subscriberKeys: [' spaced secret, kept as is '] });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const p = await authWith(options, await sign(claims(), { alg, key: ' spaced secret, kept as is ' }));
      assert.equal(p?.subject, 'ok', alg);
    }
    await expectInvalid(
      authWith(options, await sign(claims(), { key: 'spaced secret, kept as is' })),
      /signature/,
    );
  });

  it('several keys per role (rotation): any of them verifies', async () => {
    const options = baseOptions({
      subscriberKeys: [
        'old-secret-old-secret-old-secret!',
        rsa.publicPem,
        'new-secret-new-secret-new-secret!',
      ],
    });
    assert.equal(
      (await authWith(options, await sign(claims(), { key: 'new-secret-new-secret-new-secret!' })))?.subject,
      'ok',
    );
    assert.equal(
      (await authWith(options, await sign(claims(), { key: 'old-secret-old-secret-old-secret!' })))?.subject,
      'ok',
    );
    assert.equal(
      (await authWith(options, await sign(claims(), { alg: 'RS256', key: rsa.privateKey })))?.subject,
      'ok',
    );
    await expectInvalid(
      authWith(options, await sign(claims(), { key: SECRET })),
      /signature verification failed/,
    );
  });
});

describe('JWKS files', () => {
  let jwksPath: string;
  before(async () => {
    const jwks = {
      keys: [
        { ...rsa.publicJwk, kid: 'rsa-1', use: 'sig' },
        { ...ec.publicJwk, kid: 'ec-1', alg: 'ES256' },
        { kty: 'oct', kid: 'hmac-1', k: Buffer.from(SECRET).toString('base64url'), alg: 'HS256' },
        // An encryption key must never verify signatures.
        { ...ed.publicJwk, kid: 'enc-1', use: 'enc' },
      ],
    };
    jwksPath = await tmp.file('keys.json', JSON.stringify(jwks));
  });

  it('selects by kid', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    const viaEc = await sign(claims(), { alg: 'ES256', key: ec.privateKey, kid: 'ec-1' });
    const viaRsa = await sign(claims(), { alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1' });
    const viaHmac = await sign(claims(), { kid: 'hmac-1' });
    for (const token of [viaEc, viaRsa, viaHmac])
      assert.equal((await authWith(options, token))?.subject, 'ok');
  });

  it('a kid naming another key does not verify', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    // The EC signature claims the RSA key: alg ES256 does not fit it.
    await expectInvalid(
      authWith(options, await sign(claims(), { alg: 'ES256', key: ec.privateKey, kid: 'rsa-1' })),
      /no key/,
    );
    // An RSA signature claiming the HMAC key's kid is an RS256 token for an HMAC key.
    await expectInvalid(
      authWith(options, await sign(claims(), { alg: 'RS256', key: rsa.privateKey, kid: 'hmac-1' })),
      /no key/,
    );
  });

  it('an unknown kid finds no key in a JWKS-only set', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    await expectInvalid(
      authWith(options, await sign(claims(), { alg: 'ES256', key: ec.privateKey, kid: 'nope' })),
      /no key/,
    );
  });

  it('no kid: every key that fits the algorithm is tried', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    assert.equal(
      (await authWith(options, await sign(claims(), { alg: 'ES256', key: ec.privateKey })))?.subject,
      'ok',
    );
  });

  it('a JWK `alg` narrows what the key verifies', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    await expectInvalid(authWith(options, await sign(claims(), { alg: 'HS384', kid: 'hmac-1' })), /no key/);
  });

  it('keys with use "enc" are skipped', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath] });
    await expectInvalid(
      authWith(options, await sign(claims(), { alg: 'EdDSA', key: ed.privateKey, kid: 'enc-1' })),
      /no key/,
    );
  });

  it('a single JWK file works too', async () => {
    const path = await tmp.file('one.jwk', JSON.stringify({ ...ed.publicJwk, kid: 'ed' }));
    const p = await authWith(
      baseOptions({ subscriberKeys: [path] }),
      await sign(claims(), { alg: 'EdDSA', key: ed.privateKey, kid: 'ed' }),
    );
    assert.equal(p?.subject, 'ok');
  });

  it('a kid-less PEM still answers tokens whose kid matches nothing', async () => {
    const options = baseOptions({ subscriberKeys: [jwksPath, ec.publicPem] });
    const token = await sign(claims(), { alg: 'ES256', key: ec.privateKey, kid: 'unknown' });
    assert.equal((await authWith(options, token))?.subject, 'ok');
  });
});

describe('algorithm allowlist and key compatibility', () => {
  it('HS256 signed with the RSA public key PEM as the secret is refused (algorithm confusion)', async () => {
    const options = baseOptions({ subscriberKeys: [rsa.publicPem] });
    const forged = await sign(claims(), { alg: 'HS256', key: bytes(rsa.publicPem) });
    await expectInvalid(authWith(options, forged), /no key of this hub verifies HS256/);
    const forgedFromFile = await sign(claims(), { alg: 'HS256', key: bytes(`${rsa.publicPem}\n`) });
    await expectInvalid(
      authWith(baseOptions({ subscriberKeys: [await tmp.file('c.pem', rsa.publicPem)] }), forgedFromFile),
    );
  });

  it('HS256 signed with the JWK JSON of the public key is refused', async () => {
    const path = await tmp.file('rsa.jwks', JSON.stringify({ keys: [rsa.publicJwk] }));
    const forged = await sign(claims(), {
      alg: 'HS256',
      key: bytes(JSON.stringify({ keys: [rsa.publicJwk] })),
    });
    await expectInvalid(authWith(baseOptions({ subscriberKeys: [path] }), forged), /no key/);
  });

  it('an algorithm off the allowlist is refused even when the key fits', async () => {
    const options = baseOptions({
      publisherKeys: [],
      subscriberKeys: [rsa.publicPem],
      algorithms: ['RS256'],
    });
    await expectInvalid(
      authWith(options, await sign(claims(), { alg: 'PS256', key: rsa.privateKey })),
      /not allowed/,
    );
    assert.equal(
      (await authWith(options, await sign(claims(), { alg: 'RS256', key: rsa.privateKey })))?.subject,
      'ok',
    );
  });

  it('ES256 token against an Ed25519 key is refused', async () => {
    await expectInvalid(
      authWith(
        baseOptions({ subscriberKeys: [ed.publicPem] }),
        await sign(claims(), { alg: 'ES256', key: ec.privateKey }),
      ),
      /no key/,
    );
  });
});

describe('configuration errors (at startup)', () => {
  it('"none" in the allowlist', async () => {
    await expectConfigError(createAuthenticator(baseOptions({ algorithms: ['HS256', 'none'] })), /none/);
    await expectConfigError(createAuthenticator(baseOptions({ algorithms: ['NONE'] })), /none/);
  });

  it('unknown algorithm, empty allowlist', async () => {
    await expectConfigError(createAuthenticator(baseOptions({ algorithms: ['HS1'] })), /unknown/);
    await expectConfigError(createAuthenticator(baseOptions({ algorithms: [] })), /empty/);
  });

  it('a key that can verify none of the allowed algorithms', async () => {
    await expectConfigError(
      createAuthenticator(baseOptions({ subscriberKeys: [ec.publicPem], algorithms: ['RS256', 'HS256'] })),
      /subscriber key #1 .*none of the allowed algorithms/,
    );
  });

  it('RSA keys under 2048 bits', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expectConfigError(createAuthenticator(baseOptions({ publisherKeys: [pem] })), /1024 bits/);
  });

  it('a key file name that does not exist is a typo, not a secret', async () => {
    await expectConfigError(
      createAuthenticator(baseOptions({ publisherKeys: [join(tmp.dir, 'missing.pem')] })),
      /not found/,
    );
    await expectConfigError(
      createAuthenticator(baseOptions({ publisherKeys: ['./jwks.json'] })),
      /not found/,
    );
  });

  it('a file that is neither PEM nor JSON, broken JSON, a broken PEM, an empty secret', async () => {
    const garbage = await tmp.file('garbage.txt', 'hello');
    await expectConfigError(
      createAuthenticator(baseOptions({ publisherKeys: [garbage] })),
      /neither PEM nor JWKS/,
    );
    const broken = await tmp.file('broken.json', '{"keys": [');
    await expectConfigError(createAuthenticator(baseOptions({ publisherKeys: [broken] })), /not valid JSON/);
    const notJwk = await tmp.file('notjwk.json', '{"keys": [{"x": 1}]}');
    await expectConfigError(createAuthenticator(baseOptions({ publisherKeys: [notJwk] })), /not a JWK/);
    await expectConfigError(
      createAuthenticator(
        baseOptions({ publisherKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }),
      ),
      /not a PEM/,
    );
    await expectConfigError(createAuthenticator(baseOptions({ publisherKeys: [''] })), /empty HMAC secret/);
  });

  it('bad hubUrl, limits or clock tolerance', async () => {
    await expectConfigError(createAuthenticator(baseOptions({ hubUrl: '/relative' })), /hubUrl/);
    await expectConfigError(
      createAuthenticator(baseOptions({ limits: { maxTopicsPerDetail: 0 } })),
      /maxTopicsPerDetail/,
    );
    await expectConfigError(
      createAuthenticator(baseOptions({ clockToleranceSeconds: -1 })),
      /clockTolerance/,
    );
  });
});

describe('selectKeys', () => {
  it('kid narrows, then falls back to kid-less keys; alg filters', async () => {
    const keys = await loadKeySet([SECRET], ['HS256'], 'test');
    const withKid = [...keys.map((k) => ({ ...k, kid: 'a' })), ...keys];
    assert.equal(selectKeys(withKid, 'HS256', 'a')[0]?.kid, 'a');
    assert.equal(selectKeys(withKid, 'HS256', 'a').length, 1);
    assert.equal(selectKeys(withKid, 'HS256', 'b')[0]?.kid, undefined);
    assert.equal(selectKeys(withKid, 'HS256', undefined).length, 2);
    assert.equal(selectKeys(withKid, 'RS256', undefined).length, 0);
  });
});
