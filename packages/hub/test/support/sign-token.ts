import { createHmac, type KeyObject } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';

/** Keys and claims the hub tests sign with (jose, HS256 unless told otherwise). */
export const PUBLISHER_SECRET = 'bad-inputs-publisher-secret-32-bytes-long!';
export const SUBSCRIBER_SECRET = 'bad-inputs-subscriber-secret-32-bytes-long';
export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'https://hub.example';

/** Hub options that trust the at+jwt tokens made here: their issuer and audience. */
export const SIGNED_TRUST = { jwtIssuer: ISSUER, jwtAudience: AUDIENCE } as const;

/** Hub options for tests with signed tokens: these keys, issuer and audience; anonymous subscribers allowed. */
export const SIGNED_HUB = {
  hubUrl: 'https://hub.example/.well-known/mercure',
  publisherKeys: [PUBLISHER_SECRET],
  subscriberKeys: [SUBSCRIBER_SECRET],
  jwtIssuer: ISSUER,
  jwtAudience: AUDIENCE,
  anonymous: true,
} as const;

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface TokenOptions {
  readonly key?: string | Uint8Array | KeyObject;
  readonly alg?: string;
  /** `null` leaves typ out. Default `at+jwt`. */
  readonly typ?: string | null;
  /** Merged over the default claims (iss, aud, exp in an hour). */
  readonly claims?: JWTPayload;
  readonly kid?: string;
  /** Further protected header members (crit, jku, …), for tokens a hub must refuse. */
  readonly extraHeader?: Record<string, unknown>;
}

/** An RFC 9068 access token granting `actions` on `topics` (Exact, `*` for all) through `authorization_details`. */
export function accessToken(
  actions: string[],
  topics: string[],
  options: TokenOptions = {},
): Promise<string> {
  return signClaims(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSeconds() + 3600,
      authorization_details: [
        {
          type: 'https://mercure.rocks/authorization-detail',
          actions,
          topics: topics.map((match) => ({ match })),
        },
      ],
      ...options.claims,
    },
    options,
  );
}

export const publisherToken = (topics: string[] = ['*'], options: TokenOptions = {}) =>
  accessToken(['publish'], topics, { key: PUBLISHER_SECRET, ...options });

export const subscriberToken = (topics: string[] = ['*'], options: TokenOptions = {}) =>
  accessToken(['subscribe'], topics, { key: SUBSCRIBER_SECRET, ...options });

export function signClaims(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const key = options.key ?? PUBLISHER_SECRET;
  const header: Record<string, unknown> = { alg: options.alg ?? 'HS256', ...options.extraHeader };
  if (options.typ !== null) header['typ'] = options.typ ?? 'at+jwt';
  if (options.kid !== undefined) header['kid'] = options.kid;
  return new SignJWT(claims)
    .setProtectedHeader(header as { alg: string })
    .sign(typeof key === 'string' ? new TextEncoder().encode(key) : key);
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** HS256 over any header and payload, with `secret` as raw bytes (jose refuses some of these). */
export function handSigned(header: unknown, payload: unknown, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** `alg: none`, empty signature. */
export function unsigned(payload: unknown, typ = 'at+jwt'): string {
  return `${b64url({ alg: 'none', typ })}.${b64url(payload)}.`;
}
