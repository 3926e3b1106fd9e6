import { createECDH } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A VAPID key pair (RFC 8292): an ECDSA P-256 key the hub signs its push requests with. Both
 * halves base64url, as the Push API and web-push take them: the public key is the uncompressed
 * point (65 bytes), what a page passes as `applicationServerKey`; the private key is the scalar
 * (32 bytes).
 */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** A fresh key pair. */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // getPrivateKey() drops leading zero bytes (one key in 256 is shorter): RFC 8292 3.2 and
  // web-push want the 32-byte scalar, so it is left-padded.
  const d = ecdh.getPrivateKey();
  const privateKey = Buffer.alloc(32);
  d.copy(privateKey, 32 - d.length);
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: privateKey.toString('base64url'),
  };
}

/** Throws when the pair is malformed or its halves do not belong together. */
export function checkVapidKeys(keys: VapidKeys): VapidKeys {
  const pub = Buffer.from(keys.publicKey, 'base64url');
  const priv = Buffer.from(keys.privateKey, 'base64url');
  if (pub.length !== 65 || pub[0] !== 4) {
    throw new Error('push: the VAPID public key must be an uncompressed P-256 point, base64url (65 bytes)');
  }
  if (priv.length !== 32) throw new Error('push: the VAPID private key must be 32 bytes, base64url');
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(priv);
  } catch {
    throw new Error('push: the VAPID private key is not a P-256 key');
  }
  if (!ecdh.getPublicKey().equals(pub)) {
    throw new Error('push: the VAPID public key does not belong to the private key');
  }
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/**
 * The key pair kept in `file` (JSON `{publicKey, privateKey}`), made and written (mode 0600)
 * when the file does not exist yet. For development: the keys survive restarts, so the
 * browsers' subscriptions (made for this public key) keep working. Production passes its keys.
 */
export function loadOrCreateVapidKeys(file: string): VapidKeys {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`push: ${file} is not JSON`);
    }
    const o = parsed as Partial<VapidKeys> | null;
    if (typeof o?.publicKey !== 'string' || typeof o.privateKey !== 'string') {
      throw new Error(`push: ${file} must hold {"publicKey", "privateKey"}`);
    }
    return checkVapidKeys({ publicKey: o.publicKey, privateKey: o.privateKey });
  }
  const keys = generateVapidKeys();
  mkdirSync(dirname(file), { recursive: true });
  // `wx`: two processes starting at once do not overwrite each other's keys.
  try {
    writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateVapidKeys(file);
    throw err;
  }
  return keys;
}
