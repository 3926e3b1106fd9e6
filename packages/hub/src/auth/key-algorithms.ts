import type { KeyObject } from 'node:crypto';

/**
 * Which JWS algorithms (RFC 7518 section 3, RFC 8037) a key can verify. Mercure "Token
 * Validation" requires checking that `alg` is compatible with the key, which is what defeats
 * algorithm confusion: an RSA public key only ever verifies RS and PS signatures, so a token
 * "HS256-signed with the public key as secret" finds no key at all.
 */
export const KNOWN_ALGORITHMS: ReadonlySet<string> = new Set([
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

const HMAC = ['HS256', 'HS384', 'HS512'];
const RSA_PKCS1 = ['RS256', 'RS384', 'RS512'];
const RSA_PSS = ['PS256', 'PS384', 'PS512'];
const EC_BY_CURVE: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
/** RFC 7518 3.3: RSA keys under 2048 bits must not be used (jose refuses them at verify time too). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** The algorithms an HMAC secret can verify. */
export function secretAlgorithms(): readonly string[] {
  return HMAC;
}

/** The algorithms a public key can verify; empty for key types the hub cannot use. */
export function publicKeyAlgorithms(key: KeyObject): readonly string[] {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return [...RSA_PKCS1, ...RSA_PSS];
    case 'rsa-pss': {
      // A key restricted to RSA-PSS may carry a fixed hash: honour it.
      const hash = details.hashAlgorithm;
      if (hash === undefined) return RSA_PSS;
      const alg = { sha256: 'PS256', sha384: 'PS384', sha512: 'PS512' }[hash];
      return alg === undefined ? [] : [alg];
    }
    case 'ec': {
      const alg = details.namedCurve === undefined ? undefined : EC_BY_CURVE[details.namedCurve];
      return alg === undefined ? [] : [alg];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/** A short description of a key for configuration errors (never the key material). */
export function describeKey(key: KeyObject | Uint8Array): string {
  if (key instanceof Uint8Array) return 'HMAC secret';
  const details = key.asymmetricKeyDetails ?? {};
  const extra = details.namedCurve ?? (details.modulusLength ? `${details.modulusLength} bits` : '');
  return `${key.asymmetricKeyType ?? 'unknown'} key${extra ? ` (${extra})` : ''}`;
}
