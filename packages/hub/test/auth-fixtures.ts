import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import type { AuthOptions } from '../src/auth/auth-options.js';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { MERCURE_DETAIL_TYPE } from '../src/auth/authorization-details.js';
import type { Authenticator, Principal, Role } from '../src/auth/principal.js';
import { isHubError } from '../src/errors.js';
import { handSigned, ISSUER, nowSeconds, signClaims, unsigned } from './support/sign-token.js';

/** Shared by the auth-*.test.ts files: real keys, real jose-signed tokens, real requests over loopback. */

export const HUB_URL = 'https://hub.example.com/.well-known/mercure';
/** The trusted issuer of baseOptions(); at+jwt tokens made by sign() carry it, and HUB_URL as aud. */
export { ISSUER };
/** Hub options that trust the at+jwt tokens sign() makes: their issuer and audience. */
export const TOKEN_TRUST = { jwtIssuer: ISSUER, jwtAudience: HUB_URL } as const;
export const SECRET = 'a-publisher-secret-of-at-least-32-bytes!';
export const SUBSCRIBER_SECRET = 'a-subscriber-secret-of-at-least-32-bytes';

export interface TestKeyPair {
  /** A Node KeyObject: jose adapts it to whichever algorithm signs (RS256 and PS256 alike). */
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly publicJwk: Record<string, unknown>;
}

export async function keyPair(type: 'rsa' | 'ec' | 'ed25519'): Promise<TestKeyPair> {
  const { privateKey, publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: { ...publicKey.export({ format: 'jwk' }) },
  };
}

export { b64url, nowSeconds } from './support/sign-token.js';

export interface SignOptions {
  readonly alg?: string;
  readonly key?: KeyObject | Uint8Array | string;
  readonly typ?: string | null;
  readonly kid?: string;
  readonly extraHeader?: Record<string, unknown>;
}

/**
 * Signs `claims` (support/sign-token.ts) with these tests' defaults: HS256 with SECRET, typ at+jwt.
 * A string key is an HMAC secret. An at+jwt token gets `iss` ISSUER and `aud` HUB_URL unless
 * `claims` names them (a claim given as `undefined` is left out).
 */
export function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  if (/^(application\/)?at\+jwt$/i.test(options.typ ?? 'at+jwt'))
    claims = { iss: ISSUER, aud: HUB_URL, ...claims };
  return signClaims(claims, { ...options, key: options.key ?? SECRET });
}

/** An at+jwt payload valid for an hour, granting `actions` on `topics` (Exact). */
export function atClaims(
  actions: string[],
  topics: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    exp: nowSeconds() + 3600,
    authorization_details: [
      { type: MERCURE_DETAIL_TYPE, actions, topics: topics.map((match) => ({ match })) },
    ],
    ...extra,
  };
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** An HS256 token assembled by hand, for headers and payloads jose refuses to produce. */
export function hmacToken(header: unknown, payload: unknown, secret: string = SECRET): string {
  return handSigned(header, payload, secret);
}

/** A token with `alg: none` and an empty signature, built by hand (jose refuses to make one). */
export const unsignedToken: (claims: Record<string, unknown>, typ?: string) => string = unsigned;

export function baseOptions(overrides: Partial<AuthOptions> = {}): AuthOptions {
  return {
    publisherKeys: [SECRET],
    subscriberKeys: [SUBSCRIBER_SECRET],
    hubUrl: HUB_URL,
    issuer: ISSUER,
    ...overrides,
  };
}

/**
 * A real request: sent over loopback with these headers and parsed by node:http, so what the
 * authenticator reads is what a client's request becomes (names lower-cased, repeated headers
 * joined or listed as node:http does), not a hand-built object. The message stays readable after
 * its exchange, which this server answers with a 204 at once.
 */
export async function loopbackRequest(headers: Record<string, string> = {}): Promise<IncomingMessage> {
  let received: IncomingMessage | undefined;
  const server = createServer((req, res) => {
    received = req;
    res.writeHead(204, { connection: 'close' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/.well-known/mercure', headers, agent: false },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (received === undefined) throw new Error('the loopback server never saw the request');
  return received;
}

/** A real request carrying `Authorization: Bearer <token>` (see loopbackRequest). */
export function bearer(token: string): Promise<IncomingMessage> {
  return loopbackRequest({ authorization: `Bearer ${token}` });
}

export const HUB = new URL(HUB_URL);

/** Authenticates a header token for `role` with an authenticator built from `options`. */
export async function authWith(
  options: AuthOptions,
  token: string,
  role: Role = 'subscriber',
): Promise<Principal | undefined> {
  const auth = await createAuthenticator(options);
  return auth.authenticate(await bearer(token), HUB, role);
}

/** What the test server answers: the principal in plain JSON, or the error. */
export interface AuthOutcome {
  readonly status: number;
  readonly principal?: {
    subject?: string;
    expiresAt?: number;
    publish: string[];
    subscribe: string[];
    payloads: unknown[];
    source: string;
  } | null;
  readonly error?: { code: string; message: string; headers: Record<string, string> };
}

export function summarize(p: Principal | undefined): AuthOutcome['principal'] {
  if (p === undefined) return null;
  return {
    ...(p.subject === undefined ? {} : { subject: p.subject }),
    ...(p.expiresAt === undefined ? {} : { expiresAt: p.expiresAt }),
    publish: p.publish.map((s) => s.raw),
    subscribe: p.subscribe.map((s) => s.raw),
    payloads: p.payloads.map((g) => g.payload),
    source: p.source,
  };
}

export interface AuthServer {
  readonly base: string;
  /** Sends a real request; `path` is `/publish` (publisher role) or anything else (subscriber). */
  call(pathAndQuery: string, headers?: Record<string, string>): Promise<AuthOutcome>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 whose only job is to run `authenticate` and report the outcome. */
export async function startAuthServer(auth: Authenticator): Promise<AuthServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', HUB_URL);
    const role: Role = url.pathname === '/publish' ? 'publisher' : 'subscriber';
    auth.authenticate(req, url, role).then(
      (p) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 200, principal: summarize(p) }));
      },
      (err: unknown) => {
        const error = isHubError(err)
          ? { code: err.code, message: err.message, headers: err.headers }
          : { code: 'unexpected', message: String(err), headers: {} };
        res.writeHead(isHubError(err) ? err.status : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: isHubError(err) ? err.status : 500, error }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    async call(pathAndQuery, headers = {}) {
      const res = await fetch(`${base}${pathAndQuery}`, { headers });
      return (await res.json()) as AuthOutcome;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export interface TempDir {
  readonly dir: string;
  file(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A temporary directory; call `cleanup` in an `after` hook. */
export async function tempDir(): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), 'tidings-auth-'));
  return {
    dir,
    async file(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
