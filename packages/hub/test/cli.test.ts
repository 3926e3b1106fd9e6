import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { envName, FLAGS } from '../src/cli/flags.js';
import { startCli, TIDINGS_BIN } from './support/cli-process.js';

const run = promisify(execFile);

/** Publishes with curl, as the README shows. */
async function curlPublish(
  url: string,
  fields: string[],
  token?: string,
): Promise<{ code: number; body: string }> {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', url];
  for (const f of fields) args.push('--data-urlencode', f);
  if (token !== undefined) args.push('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('curl', args);
  const nl = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, nl), code: Number(stdout.slice(nl + 1)) };
}

function nextMessage(es: EventSource, type = 'message'): Promise<MessageEvent> {
  return new Promise((resolve) =>
    es.addEventListener(type, (e) => resolve(e as MessageEvent), { once: true }),
  );
}

describe('tidings CLI', () => {
  it('--help lists every flag with its default and environment variable', async () => {
    const { stdout } = await run(process.execPath, [TIDINGS_BIN, 'serve', '--help']);
    for (const f of FLAGS) {
      assert.match(stdout, new RegExp(`--${f.name}\\b`), `--${f.name} missing from --help`);
      assert.ok(stdout.includes(envName(f.name)), `${envName(f.name)} missing from --help`);
      if (f.default !== undefined && f.default !== '')
        assert.ok(
          stdout.includes(`(default: ${f.default})`),
          `--${f.name} shows its default ${f.default} in --help`,
        );
    }
    for (const required of [
      'port',
      'host',
      'jwt-key',
      'publisher-jwt-key',
      'subscriber-jwt-key',
      'jwt-alg',
      'jwt-issuer',
      'jwt-audience',
      'anonymous',
      'cors-origins',
      'publish-origins',
      'history-size',
      'heartbeat',
      'data-dir',
      'transport',
    ]) {
      assert.ok(
        FLAGS.some((f) => f.name === required),
        `flag --${required}`,
      );
    }
  });

  it('rejects an unknown flag with exit code 2 and a message', async () => {
    await assert.rejects(
      run(process.execPath, [TIDINGS_BIN, 'serve', '--prot', '1']),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr, /unknown flag --prot/);
        return true;
      },
    );
  });

  it('serves with no key: curl publishes, an EventSource receives, and the log says what is insecure', async () => {
    const cli = await startCli(['--transport', 'memory']);
    try {
      const warnings = cli.logs.filter((l) => l.level === 40).map((l) => String(l.msg));
      assert.ok(
        warnings.some((m) => m.includes('INSECURE') && m.includes('publish')),
        warnings.join('\n'),
      );
      const es = new EventSource(`${cli.url}?match=${encodeURIComponent('https://example.com/books/1')}`);
      await once(es, 'open');
      const received = nextMessage(es);
      const published = await curlPublish(cli.url, [
        'topic=https://example.com/books/1',
        'data={"title":"Dune"}',
      ]);
      assert.equal(published.code, 200);
      assert.match(published.body, /^urn:uuid:[0-9a-f-]{36}$/);
      const msg = await received;
      assert.equal(msg.data, '{"title":"Dune"}');
      assert.equal(msg.lastEventId, published.body);
      es.close();
    } finally {
      assert.equal(await cli.stop(), 0);
    }
  });

  it('reads flags from TIDINGS_* environment variables; a flag wins over the environment', async () => {
    const cli = await startCli(['--transport', 'memory', '--history-size', '2', '--anonymous'], {
      TIDINGS_HISTORY_SIZE: '100',
      TIDINGS_JWT_KEY: 'env-secret-env-secret-env-secret-32b',
    });
    try {
      // The key from the environment is in force: an anonymous publish is refused.
      const anon = await curlPublish(cli.url, ['topic=t', 'data=x']);
      assert.equal(anon.code, 401);
      const token = await new SignJWT({ mercure: { publish: ['*'] } })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('env-secret-env-secret-env-secret-32b'));
      for (const d of ['1', '2', '3'])
        assert.equal((await curlPublish(cli.url, ['topic=t', `data=${d}`], token)).code, 200);
      // --history-size 2 beat TIDINGS_HISTORY_SIZE=100: only the last two are replayed.
      const res = await fetch(`${cli.url}?topic=t&lastEventID=earliest`);
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      while ((text.match(/\ndata: /g) ?? []).length < 2) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      assert.deepEqual(
        [...text.matchAll(/data: (\d)/g)].map((m) => m[1]),
        ['2', '3'],
      );
    } finally {
      await cli.stop();
    }
  });

  it('ends streams on SIGTERM and exits 0, so clients reconnect elsewhere', async () => {
    const cli = await startCli(['--transport', 'memory']);
    const res = await fetch(`${cli.url}?match=x`);
    assert.equal(res.status, 200);
    const drained = (async () => {
      for await (const _ of res.body!) {
        // read until the hub ends the stream
      }
    })();
    assert.equal(await cli.stop('SIGTERM'), 0);
    await drained; // resolves only because the hub ended the response
    assert.ok(
      cli.logs.some((l) => String(l.msg).includes('shutting down')),
      'the CLI logged that it is shutting down',
    );
  });
});
