import { resolve } from 'node:path';
import { selfSignedCredentials, trustAdvice } from '../transports/http2/self-signed.js';
import { readTlsFiles } from '../transports/http2/tls-files.js';
import type { TlsCredentials } from '../transports/http2/tls-front.js';
import type { FlagValues } from './flag-spec.js';

/** TLS as the flags ask for it: credentials, and what to log once listening (a development certificate's advice). */
export interface TlsChoice {
  readonly credentials: TlsCredentials;
  readonly advice: ((httpsUrl: string) => string) | undefined;
}

/**
 * `--tls-cert` with `--tls-key`, or `--tls-self-signed` (a development certificate kept in
 * `--data-dir`); undefined: cleartext. Both at once, or one file without the other, is an error.
 */
export async function tlsFromFlags(flags: FlagValues): Promise<TlsChoice | undefined> {
  const cert = flags['tls-cert'] as string | undefined;
  const key = flags['tls-key'] as string | undefined;
  const selfSigned = flags['tls-self-signed'] === true;
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error('--tls-cert and --tls-key go together: give both, or --tls-self-signed');
  }
  if (cert !== undefined && key !== undefined) {
    if (selfSigned) throw new Error('--tls-self-signed and --tls-cert exclude each other: choose one');
    return { credentials: readTlsFiles(cert, key), advice: undefined };
  }
  if (!selfSigned) return undefined;
  const made = await selfSignedCredentials(resolve(String(flags['data-dir'])));
  return { credentials: made, advice: (url) => trustAdvice(made, url) };
}
