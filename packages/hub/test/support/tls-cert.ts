import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SelfSigned, selfSignedCredentials } from '../../src/transports/http2/self-signed.js';

/** A development certificate for localhost made as `--tls-self-signed` makes it, in a fresh folder. */
export function testCertificate(): Promise<SelfSigned> {
  return selfSignedCredentials(mkdtempSync(join(tmpdir(), 'tidings-tls-')));
}
