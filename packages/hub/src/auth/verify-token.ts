import { decodeProtectedHeader, errors, type JWTHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import { invalidToken } from './invalid-token.js';
import { selectKeys, type VerificationKey } from './key-set.js';

export interface VerifyContext {
  readonly keys: readonly VerificationKey[];
  /** The configured allowlist. */
  readonly algorithms: ReadonlySet<string>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLength: number;
}

export interface VerifiedToken {
  readonly payload: JWTPayload;
  readonly protectedHeader: JWTHeaderParameters;
}

/** A JWS in compact serialization (RFC 7515 7.1): three base64url segments, unpadded. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Checks the form, algorithm, signature, `exp` and `nbf` of a token (Mercure "Token Validation",
 * RFC 8725). The `alg` must be on the allowlist and fit the key (the key set already pairs every
 * key with the algorithms its type can verify), so `none` and HMAC-with-a-public-key never
 * verify. Several candidate keys (rotation) are tried in turn; the set is fixed by configuration,
 * so an attacker cannot make the hub try more keys than it has.
 */
export async function verifyToken(token: string, ctx: VerifyContext): Promise<VerifiedToken> {
  if (token.length > ctx.maxTokenLength)
    throw invalidToken(`token longer than ${ctx.maxTokenLength} characters`);
  if (!COMPACT_JWS.test(token)) throw invalidToken('malformed token: not three base64url segments');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalidToken('malformed token header');
  }
  const { alg, kid } = header;
  if (typeof alg !== 'string') throw invalidToken('token header has no alg');
  if (alg.toLowerCase() === 'none') throw invalidToken('unsigned token (alg none)');
  if (!ctx.algorithms.has(alg)) throw invalidToken('token algorithm is not allowed');
  if (kid !== undefined && typeof kid !== 'string') throw invalidToken('kid header is not a string');

  const candidates = selectKeys(ctx.keys, alg, kid);
  // alg is on the allowlist here, so naming it echoes nothing the hub does not already know.
  if (candidates.length === 0) throw invalidToken(`no key of this hub verifies ${alg}`);
  for (const candidate of candidates) {
    try {
      return await jwtVerify(token, candidate.key, {
        algorithms: [alg],
        currentDate: new Date(ctx.now()),
        clockTolerance: ctx.clockToleranceSeconds,
      });
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) continue;
      throw invalidToken(reasonFor(err));
    }
  }
  throw invalidToken('signature verification failed');
}

/** One-line reasons; jose's own messages are not passed on, so nothing of the token leaks. */
function reasonFor(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') return 'token not yet valid (nbf)';
    return `invalid ${err.claim} claim`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (err instanceof errors.JOSENotSupported) return 'token uses an unsupported JOSE feature';
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'malformed token';
  return 'token cannot be verified';
}
