import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import { type CliHub, startCli } from './support/cli-process.js';
import { CurlStream, curlOnce } from './support/curl-stream.js';
import { testCertificate } from './support/tls-cert.js';

const TOPIC = 'https://example.com/cli/tls';

/** Resolves once a log line of the hub matches (each line of output wakes the check). */
async function logged(cli: CliHub, pattern: RegExp, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = cli.logs.find((l) => pattern.test(String(l.msg)));
    if (line !== undefined) return line;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, left);
      function done() {
        clearTimeout(timer);
        cli.child.stdout!.off('data', done);
        resolve();
      }
      cli.child.stdout!.on('data', done);
    });
  }
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to `port` is shown. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2'] },
      () => {
        const fingerprint = socket.getPeerX509Certificate()!.fingerprint256;
        socket.destroy();
        resolve(fingerprint);
      },
    );
    socket.on('error', reject);
  });
}

describe('tidings serve over TLS', { timeout: 120_000 }, () => {
  it('--tls-cert/--tls-key: SIGHUP loads a renewed pair for new connections, open streams go on', async () => {
    const first = await testCertificate();
    const renewed = await testCertificate();
    const dir = mkdtempSync(join(tmpdir(), 'tidings-pem-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    copyFileSync(first.certFile, cert);
    copyFileSync(first.keyFile, key);
    const cli = await startCli(['--transport', 'memory', '--tls-cert', cert, '--tls-key', key]);
    const base = `https://127.0.0.1:${cli.port}/.well-known/mercure`;
    const stream = new CurlStream(['--http2', '-k', `${base}?topic=${TOPIC}`]);
    try {
      assert.match(String((await logged(cli, /listening on https:/)).msg), /HTTP\/2 and HTTP\/1\.1 over TLS/);
      assert.equal(await servedFingerprint(cli.port), first.fingerprint, 'the first pair is served');
      await stream.until((t) => t.startsWith('retry:'), 'the stream to open');

      copyFileSync(renewed.certFile, cert);
      copyFileSync(renewed.keyFile, key);
      cli.child.kill('SIGHUP');
      await logged(cli, /TLS certificate reloaded/);
      assert.equal(
        await servedFingerprint(cli.port),
        renewed.fingerprint,
        'new connections get the renewed pair',
      );

      const pub = await curlOnce([
        '--http2',
        '--cacert',
        renewed.certFile,
        base,
        '-d',
        `topic=${TOPIC}`,
        '-d',
        'data=after',
      ]);
      assert.equal(pub.status, 200, pub.body);
      await stream.until(
        (t) => t.includes(`id: ${pub.body}\ndata: after\n\n`),
        'the stream opened before the reload to go on',
      );
      assert.equal(stream.child.exitCode, null, 'the stream was not dropped');

      // A pair that does not load is refused and the served one stays.
      copyFileSync(first.certFile, cert);
      cli.child.kill('SIGHUP');
      await logged(cli, /TLS certificate not reloaded/);
      assert.equal(
        await servedFingerprint(cli.port),
        renewed.fingerprint,
        'a mismatched pair is not applied',
      );
    } finally {
      stream.kill();
      assert.equal(await cli.stop(), 0, 'the hub stopped cleanly');
    }
  });

  it('--tls-self-signed: a certificate kept in the data directory, the same after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tidings-self-'));
    const args = ['--transport', 'memory', '--data-dir', dataDir, '--tls-self-signed'];
    const cli = await startCli(args);
    let fingerprint: string;
    try {
      const advice = String((await logged(cli, /self-signed certificate/)).msg);
      assert.match(advice, /made a self-signed certificate/, advice);
      assert.match(advice, /--cacert/, 'the log says how to trust it');
      const certFile = join(dataDir, 'tls', 'localhost-cert.pem');
      assert.ok(existsSync(certFile), 'kept in the data directory');
      assert.equal(statSync(join(dataDir, 'tls', 'localhost-key.pem')).mode & 0o077, 0, 'the key is private');
      fingerprint = await servedFingerprint(cli.port);
      const health = await curlOnce([
        '--http2',
        '--cacert',
        certFile,
        `https://localhost:${cli.port}/healthz`,
      ]);
      assert.equal(health.version, '2', 'h2 to localhost, verified against the kept certificate');
    } finally {
      assert.equal(await cli.stop(), 0);
    }
    const again = await startCli(args);
    try {
      assert.match(String((await logged(again, /self-signed certificate/)).msg), /using the self-signed/);
      assert.equal(await servedFingerprint(again.port), fingerprint, 'the same certificate after a restart');
    } finally {
      await again.stop();
    }
  });
});
