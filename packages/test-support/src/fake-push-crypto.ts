import { createDecipheriv, createPublicKey, type ECDH, hkdfSync, verify } from 'node:crypto';

/**
 * What the fake push service (fake-push-service.ts) checks of a push, from the RFCs with
 * node:crypto alone, sharing nothing with the sender under test: its VAPID token (RFC 8292) and
 * its aes128gcm payload (RFC 8291, RFC 8188).
 */

/** A push's VAPID public key (`k`) and the claims of its token. */
export interface Vapid {
  readonly vapidKey: string;
  readonly claims: { readonly aud: string; readonly exp: number; readonly sub: string };
}

/**
 * RFC 8292 3: `Authorization: vapid t=<JWT>, k=<public key>`, the JWT ES256-signed by that key,
 * `aud` the push service's `origin`; `expectedKey`, when set, is the only `k` accepted. Throws
 * what is wrong.
 */
export function checkVapid(
  header: string | undefined,
  origin: string,
  expectedKey: string | undefined,
): Vapid {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), ?k=([A-Za-z0-9_-]+)$/.exec(
    header ?? '',
  );
  if (m === null)
    throw new Error(`Authorization is not "vapid t=..., k=...": ${String(header).slice(0, 40)}`);
  const [jwt, k] = [m[1]!, m[2]!];
  if (expectedKey !== undefined && k !== expectedKey) throw new Error('VAPID key is not the expected one');
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const header2 = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  if (header2['alg'] !== 'ES256') throw new Error(`JWT alg is not ES256: ${String(header2['alg'])}`);
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('the VAPID JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
    aud: string;
    exp: number;
    sub: string;
  };
  // RFC 8292 2: aud is the push resource's origin; exp no more than 24 hours ahead; sub a contact.
  if (claims.aud !== origin) throw new Error(`JWT aud ${claims.aud} is not ${origin}`);
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600))
    throw new Error(`JWT exp ${claims.exp} out of range`);
  if (!/^(mailto:|https:)/.test(claims.sub))
    throw new Error(`JWT sub is not mailto: or https: ${claims.sub}`);
  return { vapidKey: k, claims };
}

/**
 * RFC 8291 3.4 and RFC 8188 2: the header (salt, record size, key id = the sender's ephemeral
 * public key), the key and nonce derived through HKDF from the ECDH secret and the auth secret,
 * then each record decrypted with AES-128-GCM and its padding removed.
 */
export function decryptPush(body: Buffer, keys: { ecdh: ECDH; auth: Buffer }): Buffer {
  if (body.length < 21) throw new Error('body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  if (idlen !== 65 || rs < 18) throw new Error(`bad aes128gcm header (idlen ${idlen}, rs ${rs})`);
  const uaPublic = keys.ecdh.getPublicKey();
  const ecdhSecret = keys.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, keys.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const records = body.subarray(21 + idlen);
  const out: Buffer[] = [];
  for (let seq = 0, at = 0; at < records.length; seq++, at += rs) {
    const record = records.subarray(at, Math.min(records.length, at + rs));
    const iv = Buffer.from(nonce);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = createDecipheriv('aes-128-gcm', cek, iv);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    // Padding: zeros after the delimiter, 0x02 on the last record, 0x01 on the others.
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    const last = at + rs >= records.length;
    if (plain[end] !== (last ? 2 : 1)) throw new Error('bad padding delimiter');
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}
