import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { MAX_RATE, MIN_RATE } from '../model/rate-bounds.js';
import type { SelectorLimits } from '../selector/selector.js';
import type { AuthLimits } from './auth-options.js';
import { rightsFromAuthorizationDetails } from './authorization-details.js';
import { invalidToken } from './invalid-token.js';
import { rightsFromMercureClaim } from './mercure-claim.js';
import type { Principal, TokenSource } from './principal.js';

export interface ClaimsContext {
  /** The one trusted issuer of at+jwt tokens; none configured: every at+jwt token is refused. */
  readonly issuer?: string | undefined;
  /** The hub's resource identifier (`jwtAudience`, else the hub URL), required in at+jwt `aud`. */
  readonly audience: string;
  /** Whether `audience` was configured: only then is the `aud` of a 0.x token checked. */
  readonly audienceConfigured: boolean;
  readonly limits: AuthLimits;
  readonly selectorLimits: SelectorLimits;
}

/**
 * True for the RFC 9068 access-token type. Media types are case-insensitive and `typ` may omit
 * the `application/` prefix (RFC 7515 section 4.1.9), so `AT+JWT` and `application/at+jwt` count.
 */
export function isAccessTokenType(typ: string): boolean {
  const t = typ.toLowerCase();
  return t === 'at+jwt' || t === 'application/at+jwt';
}

/**
 * Turns the claims of a token whose signature, `exp` and `nbf` were verified into a Principal.
 *
 * The dialect is chosen by the protected `typ` header, never guessed from the claims:
 * - `at+jwt` (Mercure "Token Validation", RFC 9068 section 4): `exp` required; `iss` present and
 *   equal to the hub's trusted issuer (a hub with none configured refuses every at+jwt token: the
 *   text makes the binding of keys to an issuer a MUST); `aud` must contain the hub's resource
 *   identifier, which is `jwtAudience` or else the hub URL, as the protected resource metadata
 *   advertises. Rights come from `authorization_details` only (a `mercure` claim is ignored).
 *   Tidings trusts one issuer per hub and binds every configured key to it, so the text's rule for
 *   several issuers (verify with that issuer's keys only, never a pooled set) holds by construction.
 * - anything else, or no `typ` (the 0.x dialect): rights come from the `mercure` claim; `exp` is
 *   optional; `aud` and `iss` are checked only when configured and carried by the token (RFC 7519
 *   4.1.3: an `aud` that does not name this hub is refused). Such a token carrying `authorization_details`
 *   is refused: those rights are only ever honoured in a token typed for access (RFC 9068 2.1).
 * A token with neither claim is valid and grants nothing.
 */
export function principalFromClaims(
  claims: JWTPayload,
  header: JWTHeaderParameters,
  source: TokenSource,
  ctx: ClaimsContext,
): Principal {
  const { typ } = header;
  if (typ !== undefined && typeof typ !== 'string') throw invalidToken('typ header is not a string');
  const accessToken = typ !== undefined && isAccessTokenType(typ);

  const { sub, exp, aud, iss } = claims;
  if (sub !== undefined && typeof sub !== 'string') throw invalidToken('sub claim is not a string');

  if (accessToken) {
    if (typeof iss !== 'string') throw invalidToken('at+jwt token without iss');
    if (ctx.issuer === undefined) throw invalidToken('this hub trusts no issuer (configure jwtIssuer)');
    if (iss !== ctx.issuer) throw invalidToken('iss claim is not the trusted issuer');
    if (!audienceIncludes(aud, ctx.audience)) throw invalidToken(`aud claim does not name ${ctx.audience}`);
  } else {
    if (ctx.audienceConfigured && aud !== undefined && !audienceIncludes(aud, ctx.audience)) {
      throw invalidToken(`aud claim does not name ${ctx.audience}`);
    }
    if (ctx.issuer !== undefined && iss !== undefined && iss !== ctx.issuer) {
      throw invalidToken('iss claim is not the trusted issuer');
    }
  }

  let rights: ReturnType<typeof rightsFromAuthorizationDetails>;
  if (accessToken) {
    if (typeof exp !== 'number') throw invalidToken('at+jwt token without exp');
    rights = rightsFromAuthorizationDetails(claims['authorization_details'], ctx.limits, ctx.selectorLimits);
  } else {
    if (claims['authorization_details'] !== undefined) {
      throw invalidToken('authorization_details requires typ at+jwt');
    }
    rights = rightsFromMercureClaim(claims['mercure'], ctx.limits, ctx.selectorLimits);
  }
  return {
    subject: sub,
    expiresAt: typeof exp === 'number' ? exp : undefined,
    maxRate: maxRateClaim(claims[MAX_RATE_CLAIM]),
    publish: rights.publish,
    subscribe: rights.subscribe,
    payloads: rights.payloads,
    source,
  };
}

/** A private claim name (RFC 7519 4.3) capping the token's streams to this many events per second. */
export const MAX_RATE_CLAIM = 'tidings_max_rate';

/** The rate cap of a token, either dialect; a claim that is not a rate the hub serves invalidates the token. */
function maxRateClaim(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= MIN_RATE && value <= MAX_RATE)) {
    throw invalidToken(`${MAX_RATE_CLAIM} must be a number from ${MIN_RATE} to ${MAX_RATE}`);
  }
  return value;
}

/** RFC 7519 4.1.3: `aud` is a string or an array of strings; it matches when it contains ours. */
function audienceIncludes(aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience;
  return Array.isArray(aud) && aud.includes(audience);
}
