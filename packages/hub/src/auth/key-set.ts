import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import {
  describeKey,
  KNOWN_ALGORITHMS,
  MIN_RSA_MODULUS_BITS,
  publicKeyAlgorithms,
  secretAlgorithms,
} from './key-algorithms.js';

/** One key a token of some role may be verified with, and the algorithms it may verify. */
export interface VerificationKey {
  /** From a JWKS entry; PEMs and secrets have none. */
  readonly kid?: string | undefined;
  readonly key: KeyObject | Uint8Array;
  /** The allowlist narrowed to what this key's type (and its JWK `alg`, if any) can verify. Never empty. */
  readonly algorithms: readonly string[];
  /** For configuration errors and logs: which spec, which key type; never key material. */
  readonly label: string;
}

/** A problem in the hub's own configuration, raised at startup (never in answer to a request). */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/** Files whose name says "key file": a missing one is a typo, not an HMAC secret. */
const KEY_FILE_NAME = /\.(pem|crt|cer|pub|key|json|jwks)$/i;

/** Validates the algorithm allowlist: known names only, and never `none` (Mercure "Token Validation"). */
export function checkAlgorithms(algorithms: readonly string[]): readonly string[] {
  if (algorithms.length === 0) throw new AuthConfigError('auth: the algorithm allowlist is empty');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none') throw new AuthConfigError('auth: algorithm "none" is never accepted');
    if (!KNOWN_ALGORITHMS.has(alg)) throw new AuthConfigError(`auth: unknown signature algorithm "${alg}"`);
  }
  return [...new Set(algorithms)];
}

/**
 * Loads the keys of one role. A spec is, in this order: a PEM (public key, certificate, or a
 * private key whose public half is used), a path to a PEM or JWKS file, or else an HMAC secret
 * used byte-for-byte as UTF-8.
 */
export async function loadKeySet(
  specs: readonly string[],
  allowlist: readonly string[],
  role: string,
): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  for (const [i, spec] of specs.entries()) {
    const where = `${role} key #${i + 1}`;
    const loaded = await loadSpec(spec, where);
    const usable: VerificationKey[] = [];
    for (const k of loaded) {
      const algorithms = k.algorithms.filter((a) => allowlist.includes(a));
      if (algorithms.length > 0) usable.push({ ...k, algorithms });
    }
    if (usable.length === 0) {
      const kinds = [...new Set(loaded.map((k) => k.label))].join(', ') || 'no key';
      throw new AuthConfigError(`auth: ${where} (${kinds}) can verify none of the allowed algorithms`);
    }
    keys.push(...usable);
  }
  return keys;
}

/**
 * The keys a token may be checked against. The role already chose the key set; within it, `kid`
 * narrows to the JWKS entries carrying it, or, when none does, to the keys that have no `kid`
 * (PEMs and secrets). The token can therefore never reach a key of the other role, nor a key
 * whose type does not fit its `alg`.
 */
export function selectKeys(
  keys: readonly VerificationKey[],
  alg: string,
  kid: string | undefined,
): VerificationKey[] {
  let candidates: readonly VerificationKey[] = keys;
  if (kid !== undefined) {
    const byKid = keys.filter((k) => k.kid === kid);
    candidates = byKid.length > 0 ? byKid : keys.filter((k) => k.kid === undefined);
  }
  return candidates.filter((k) => k.algorithms.includes(alg));
}

async function loadSpec(spec: string, where: string): Promise<VerificationKey[]> {
  const trimmed = spec.trim();
  if (trimmed.startsWith('-----BEGIN')) return [fromPem(trimmed, where)];
  if (await isFile(spec)) {
    const text = (await readFile(spec, 'utf8')).trim();
    if (text.startsWith('-----BEGIN')) return [fromPem(text, `${where} (file)`)];
    if (text.startsWith('{')) return fromJwks(text, `${where} (JWKS file)`);
    throw new AuthConfigError(`auth: ${where} is a file that is neither PEM nor JWKS JSON`);
  }
  if (KEY_FILE_NAME.test(trimmed)) throw new AuthConfigError(`auth: ${where}: key file not found`);
  if (spec.length === 0) throw new AuthConfigError(`auth: ${where} is an empty HMAC secret`);
  return [{ key: new TextEncoder().encode(spec), algorithms: secretAlgorithms(), label: 'HMAC secret' }];
}

async function isFile(path: string): Promise<boolean> {
  // Secrets can contain anything; only a string that names an existing regular file is a path.
  if (path.length > 4096 || path.includes('\0')) return false;
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function fromPem(pem: string, where: string): VerificationKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new AuthConfigError(`auth: ${where} is not a PEM public key, certificate or private key`);
  }
  return publicKey(key, undefined, undefined, where);
}

function publicKey(
  key: KeyObject,
  kid: string | undefined,
  jwkAlg: string | undefined,
  where: string,
): VerificationKey {
  const label = describeKey(key);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_MODULUS_BITS) {
    throw new AuthConfigError(
      `auth: ${where} is an RSA key of ${bits} bits (${MIN_RSA_MODULUS_BITS} minimum)`,
    );
  }
  let algorithms = publicKeyAlgorithms(key);
  if (jwkAlg !== undefined) algorithms = algorithms.filter((a) => a === jwkAlg);
  return { kid, key, algorithms, label };
}

function fromJwks(text: string, where: string): VerificationKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthConfigError(`auth: ${where} is not valid JSON`);
  }
  const entries: unknown[] = isObject(doc) && Array.isArray(doc['keys']) ? doc['keys'] : [doc];
  const keys: VerificationKey[] = [];
  for (const [i, jwk] of entries.entries()) {
    if (!isObject(jwk) || typeof jwk['kty'] !== 'string') {
      throw new AuthConfigError(`auth: ${where}: entry #${i + 1} is not a JWK`);
    }
    // RFC 7517 4.2/4.3: keys meant for encryption, or not for verification, are not ours to use.
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
    if (Array.isArray(jwk['key_ops']) && !jwk['key_ops'].includes('verify')) continue;
    const kid = typeof jwk['kid'] === 'string' ? jwk['kid'] : undefined;
    const alg = typeof jwk['alg'] === 'string' ? jwk['alg'] : undefined;
    const entryWhere = `${where} entry #${i + 1}${kid === undefined ? '' : ` (kid ${kid})`}`;
    if (jwk['kty'] === 'oct') {
      if (typeof jwk['k'] !== 'string' || jwk['k'].length === 0) {
        throw new AuthConfigError(`auth: ${entryWhere} has no "k"`);
      }
      const algorithms = secretAlgorithms().filter((a) => alg === undefined || a === alg);
      keys.push({ kid, key: Buffer.from(jwk['k'], 'base64url'), algorithms, label: 'HMAC secret' });
      continue;
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw new AuthConfigError(`auth: ${entryWhere} is not a usable public JWK`);
    }
    keys.push(publicKey(key, kid, alg, entryWhere));
  }
  return keys;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
