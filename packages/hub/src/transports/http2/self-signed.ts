import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import type { TlsCredentials } from './tls-front.js';

/** A development certificate is made again when it has less than this left (ms). */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a new one is valid: under 398 days, the longest a browser accepts for a leaf. */
const VALID_DAYS = 397;

/** A development certificate, and where it is kept. */
export interface SelfSigned extends TlsCredentials {
  readonly certFile: string;
  readonly keyFile: string;
  /** SHA-256 fingerprint, as browsers show it. */
  readonly fingerprint: string;
  /** True when it was made now (false: the one kept from an earlier start). */
  readonly created: boolean;
}

/**
 * A certificate for `localhost`, 127.0.0.1 and ::1, made without an `openssl` binary (the
 * `selfsigned` package, WebCrypto) and kept in `dir` (the data directory), so an exception a
 * browser was told to make for it, or a trust store it was added to, still holds after a
 * restart. Made again when missing, unreadable, or within 30 days of its end.
 */
export async function selfSignedCredentials(dir: string, now = Date.now()): Promise<SelfSigned> {
  const folder = resolve(dir, 'tls');
  const certFile = join(folder, 'localhost-cert.pem');
  const keyFile = join(folder, 'localhost-key.pem');
  const kept = readKept(certFile, keyFile, now);
  if (kept !== undefined) return { ...kept, certFile, keyFile, created: false };
  const notBeforeDate = new Date(now - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(folder, { recursive: true });
  // The key is a secret of this machine: readable by its owner only.
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert);
  return {
    cert: pems.cert,
    key: pems.private,
    certFile,
    keyFile,
    fingerprint: new X509Certificate(pems.cert).fingerprint256,
    created: true,
  };
}

function readKept(
  certFile: string,
  keyFile: string,
  now: number,
): { cert: string; key: string; fingerprint: string } | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  try {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const x509 = new X509Certificate(cert);
    if (Date.parse(x509.validTo) - now < RENEW_BEFORE_MS) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key, fingerprint: x509.fingerprint256 };
  } catch {
    return undefined;
  }
}

/** What the log says about a development certificate: where it is, and how to trust it. */
export function trustAdvice(c: SelfSigned, httpsUrl: string): string {
  return [
    `${c.created ? 'made a' : 'using the'} self-signed certificate for localhost, 127.0.0.1 and ::1: ${c.certFile}`,
    `(SHA-256 ${c.fingerprint}). To trust it: open ${httpsUrl} once and accept the warning`,
    `(the exception holds across restarts: the certificate is kept), or add ${c.certFile} to your`,
    `trust store (Debian/Ubuntu: sudo cp ${c.certFile} /usr/local/share/ca-certificates/tidings-localhost.crt`,
    `&& sudo update-ca-certificates; macOS: sudo security add-trusted-cert -d -r trustAsRoot -k`,
    `/Library/Keychains/System.keychain ${c.certFile}); curl: --cacert ${c.certFile}`,
  ].join(' ');
}
