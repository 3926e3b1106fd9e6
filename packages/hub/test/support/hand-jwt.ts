import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A second JWT check, written from the RFCs with node:crypto only (no jose, which the hub uses):
 * the oracle the token fuzzing compares the hub's verdict with. HMAC algorithms only.
 * - RFC 7515 7.1: compact serialization, three base64url segments without padding (appendix C:
 *   none of length 4k+1; a non-canonical last character is accepted, as RFC 4648 3.5 allows and jose does);
 *   4.1.11: `crit` lists extensions the recipient must understand, or reject.
 * - RFC 7797 3 and 7: `b64` is the one extension understood, and a JWT may not use `b64: false`.
 * - RFC 7519 4.1.4/4.1.5: `exp` and `nbf` are NumericDates, checked with a leeway;
 *   4.1.1/4.1.3: `iss` and `aud` as the hub is configured.
 */
const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;
export type HmacAlg = keyof typeof HASH;
const SEGMENT = /^[A-Za-z0-9_-]*$/;

export type Verdict =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown> }
  | { ok: false; why: string };

export interface HandCheck {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /** Seconds of leeway on exp and nbf. */
  readonly leewaySeconds: number;
  readonly nowSeconds: number;
}

/** Signs `header.payload` by hand with the HMAC its `alg` names. */
export function handSign(header: Record<string, unknown>, payload: unknown, secret: string): string {
  const alg = header['alg'] as HmacAlg;
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(HASH[alg], secret).update(input).digest('base64url')}`;
}

/** Whether `token` is a valid JWT for this secret, issuer and audience, and if not why. */
export function handVerify(token: string, c: HandCheck): Verdict {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, why: `${parts.length} segments` };
  const [h = '', p = '', s = ''] = parts;
  if (![h, p, s].every((x) => SEGMENT.test(x))) return { ok: false, why: 'not base64url' };
  // RFC 7515 appendix C: unpadded base64url never leaves one character over (six bits are not
  // a byte). Buffer's decoder drops such a character silently; jose refuses the token.
  if ([h, p, s].some((x) => x.length % 4 === 1)) return { ok: false, why: 'not base64url (length)' };
  if (h === '' || p === '') return { ok: false, why: 'empty segment' };
  const header = json(h);
  const payload = json(p);
  if (header === undefined) return { ok: false, why: 'header is not a JSON object' };
  const alg = header['alg'];
  if (typeof alg !== 'string' || !Object.hasOwn(HASH, alg)) return { ok: false, why: `alg ${String(alg)}` };
  if ('kid' in header && typeof header['kid'] !== 'string') return { ok: false, why: 'kid not a string' };
  if ('crit' in header) {
    const crit = header['crit'];
    const understood =
      Array.isArray(crit) &&
      crit.length > 0 &&
      crit.every((x) => x === 'b64') &&
      crit.every((x) => typeof x === 'string' && x in header);
    if (!understood) return { ok: false, why: 'crit not understood' };
    if (header['b64'] !== true) return { ok: false, why: 'unencoded payload in a JWT' };
  }
  const expected = createHmac(HASH[alg as HmacAlg], c.secret)
    .update(`${h}.${p}`)
    .digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, why: 'signature' };
  if (payload === undefined) return { ok: false, why: 'payload is not a JSON object' };
  for (const claim of ['exp', 'nbf', 'iat'] as const)
    if (claim in payload && !Number.isFinite(payload[claim]))
      return { ok: false, why: `${claim} not a number` };
  if ('exp' in payload && (payload['exp'] as number) <= c.nowSeconds - c.leewaySeconds)
    return { ok: false, why: 'expired' };
  if ('nbf' in payload && (payload['nbf'] as number) > c.nowSeconds + c.leewaySeconds)
    return { ok: false, why: 'not yet valid' };
  if (payload['iss'] !== c.issuer) return { ok: false, why: 'iss' };
  const aud = payload['aud'];
  if (!(aud === c.audience || (Array.isArray(aud) && aud.includes(c.audience))))
    return { ok: false, why: 'aud' };
  return { ok: true, header, payload };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function json(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
