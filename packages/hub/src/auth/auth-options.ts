import { DEFAULT_SELECTOR_LIMITS } from '../selector/selector.js';

/**
 * Signature algorithms accepted by default. Mercure "Token Validation" asks for an explicit
 * allowlist including at least EdDSA, ES256 and RS256; `none` is never accepted, whatever the
 * configuration says. Each key further narrows this list to the algorithms its type can verify.
 */
export const DEFAULT_ALGORITHMS: readonly string[] = [
  'EdDSA',
  'ES256',
  'ES384',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'HS256',
  'HS384',
  'HS512',
];

/**
 * Cookie names searched, in this order: the current draft's recommended name (Mercure "Cookie":
 * the `__Secure-` prefix makes browsers refuse it over plain HTTP), the 0.x name, and the name
 * of an earlier draft revision. The first is the one advertised as `mercure_cookie`.
 */
export const DEFAULT_COOKIE_NAMES: readonly string[] = [
  '__Secure-mercure_access_token',
  'mercureAuthorization',
  'mercureAccessToken',
];

/**
 * Leeway applied to `exp` and `nbf` (RFC 7519 4.1.4/4.1.5 allow "some small leeway"): a token
 * is still accepted up to this many seconds after `exp`, and this many seconds before `nbf`.
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** Bounds on what a token may carry. Exceeding any of them makes the token `invalid_token`. */
export interface AuthLimits {
  /** Longest token accepted, in characters, checked before any decoding. Default 65536. */
  readonly maxTokenLength: number;
  /** Most `mercure` entries in `authorization_details` (Mercure "Authorization Details"). Default 32. */
  readonly maxAuthorizationDetails: number;
  /** Most entries in one detail's `topics` array. Default 64. */
  readonly maxTopicsPerDetail: number;
  /** Most selectors in each list of the 0.x `mercure` claim (`publish`, `subscribe`). Default 2048. */
  readonly maxLegacySelectors: number;
  /** Longest selector accepted in a token, in UTF-16 code units. Default 2048 (as for subscriptions). */
  readonly maxSelectorLength: number;
  /**
   * Cost caps of a URL pattern or URI template in a token (selector/selector-cost.ts); a hub
   * passes its own `Limits` values, so selectors in tokens and in subscriptions share one cost cap.
   * Defaults 16,384 RE2 instructions and 32 ambiguous pieces.
   */
  readonly maxSelectorProgramSize: number;
  readonly maxSelectorVariableParts: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  maxTokenLength: 65536,
  maxAuthorizationDetails: 32,
  maxTopicsPerDetail: 64,
  maxLegacySelectors: 2048,
  maxSelectorLength: DEFAULT_SELECTOR_LIMITS.maxSelectorLength,
  maxSelectorProgramSize: DEFAULT_SELECTOR_LIMITS.maxSelectorProgramSize,
  maxSelectorVariableParts: DEFAULT_SELECTOR_LIMITS.maxSelectorVariableParts,
};

/**
 * The trusted issuer of a development hub (one with `devTokenKey`, no `jwtIssuer`): the reference
 * hub's development issuer, so tokens shaped like the Mercure text's examples work there.
 */
export const DEV_ISSUER = 'https://localhost';

export interface AuthOptions {
  /**
   * Key specs for publisher tokens: a PEM (public key or certificate), a path to a PEM file, a
   * path to a JWKS JSON file, or otherwise an HMAC secret. Empty: publishing needs no token (dev
   * mode; the CLI warns): publisher tokens are not inspected and every publisher may publish on `*`.
   */
  readonly publisherKeys: readonly string[];
  /** Key specs for subscriber tokens. Empty: subscribers are anonymous only; any token is refused. */
  readonly subscriberKeys: readonly string[];
  /** Allowlist of signature algorithms; default DEFAULT_ALGORITHMS. `none` is a configuration error. */
  readonly algorithms?: readonly string[] | undefined;
  /**
   * The trusted issuer: at+jwt tokens must carry `iss` equal to it, and without it every at+jwt
   * token is refused (Mercure "Token Validation"). 0.x tokens: checked only when they carry `iss`.
   */
  readonly issuer?: string | undefined;
  /**
   * The resource identifier, default `hubUrl`: at+jwt tokens must carry it in `aud`. 0.x tokens:
   * checked only when it is configured and they carry `aud`.
   */
  readonly audience?: string | undefined;
  /** The hub's URL: relative URL patterns in tokens are resolved against it. */
  readonly hubUrl: string;
  /** Cookie names searched for a token, in order; default DEFAULT_COOKIE_NAMES. */
  readonly cookieNames?: readonly string[] | undefined;
  /**
   * Accept the 0.x `authorization` query parameter; default true. The RFC 6750 `access_token`
   * query parameter is never accepted (Mercure "Presenting the Access Token", RFC 9700): it is a
   * 400 `invalid_request`.
   */
  readonly allowQueryToken?: boolean | undefined;
  /** Milliseconds since the epoch; default Date.now. Injected so exp/nbf can be tested. */
  readonly clock?: (() => number) | undefined;
  /** Leeway on exp/nbf in seconds; default DEFAULT_CLOCK_TOLERANCE_SECONDS. */
  readonly clockToleranceSeconds?: number | undefined;
  readonly limits?: Partial<AuthLimits> | undefined;
  /**
   * Verified tokens kept per role, so a token presented again is not verified again until its
   * `exp` (verified-token-cache.ts). Default DEFAULT_TOKEN_CACHE_SIZE (1024); 0 disables.
   */
  readonly tokenCacheSize?: number | undefined;
}
