import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsCredentials } from './tls-front.js';

/**
 * Reads a PEM certificate chain and its private key (`--tls-cert`, `--tls-key`) and checks that
 * they make a TLS context (the key matches the certificate), so a bad pair is refused with a
 * clear message at start or on reload, never half-applied.
 */
export function readTlsFiles(certFile: string, keyFile: string): TlsCredentials {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
  } catch (err) {
    throw new Error(`cannot read the TLS certificate ${certFile}: ${(err as Error).message}`);
  }
  try {
    key = readFileSync(keyFile);
  } catch (err) {
    throw new Error(`cannot read the TLS key ${keyFile}: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `the TLS certificate ${certFile} and key ${keyFile} do not make a pair: ${(err as Error).message}`,
    );
  }
  return { cert, key };
}
