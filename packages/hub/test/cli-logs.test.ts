import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TIDINGS_BIN } from './support/cli-process.js';

const run = promisify(execFile);

/** The CLI's output until its start banner, with stdout a terminal (`script` gives it a pty) or a pipe. */
async function startOutput(
  tty: boolean,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<string> {
  const cli = [process.execPath, TIDINGS_BIN, 'serve', '--port', '0', '--transport', 'memory', ...args];
  // `timeout` bounds the hub's life even if this test dies before stopping it.
  const child: ChildProcess = tty
    ? spawn('script', ['-qec', ['timeout', '30', ...cli].map(shellQuote).join(' '), '/dev/null'], {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn('timeout', ['30', ...cli], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let out = '';
  const done = new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no banner within 20 s: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // The banner's last part (its security field or row) has arrived.
      if (/security[^\n]*\n/.test(out)) {
        clearTimeout(deadline);
        resolve(out);
      }
    });
    child.once('exit', () => {
      clearTimeout(deadline);
      reject(new Error(`exited before its banner: ${out}`));
    });
  });
  try {
    return await done;
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** hh:mm now in `timeZone`, and a minute earlier (the line may have been written just before). */
function clockIn(timeZone: string, at: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(at)
    .replace(/\u200e/g, '');
}

describe('CLI logs and commands', () => {
  it('on a terminal, logs are human lines with local times and the banner has store and security rows', async () => {
    // A time zone far from UTC (the machine's own) tells local time from UTC.
    const before = Date.now();
    const out = (await startOutput(true, [], { TZ: 'Asia/Kolkata' })).replaceAll('\r', '');
    const lines = out.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 3, `several lines expected, got ${JSON.stringify(out)}`);
    assert.ok(!lines.some((l) => l.startsWith('{')), `no JSON line on a terminal: ${out}`);
    const banner = lines.find((l) => l.includes('listening on http'));
    assert.ok(banner !== undefined, `a banner line: ${out}`);
    const m =
      /^(\d\d):(\d\d):\d\d\.\d{3} INFO {2}tidings hub listening on http:\/\/127\.0\.0\.1:\d+\/\.well-known\/mercure$/.exec(
        banner,
      );
    assert.ok(m !== null, `banner line shape: ${JSON.stringify(banner)}`);
    const shown = `${m[1]}:${m[2]}`;
    const expected = [clockIn('Asia/Kolkata', before), clockIn('Asia/Kolkata', Date.now())];
    assert.ok(expected.includes(shown), `local time ${shown} expected one of ${expected.join(', ')}`);
    assert.match(out, /\n +store: +memory, history of 10000 updates/, 'the banner names the store');
    assert.match(out, /\n +security: +development: no key/, 'the banner names the security mode');
    assert.match(out, /WARN {2}INSECURE: no publisher key/, 'warnings are human lines too');
  });

  it('with stdout a pipe, logs are JSON lines carrying the same banner fields', async () => {
    const out = await startOutput(false);
    const records = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const banner = records.find((r) => r.banner === true);
    assert.ok(banner !== undefined, `a banner record: ${out}`);
    assert.equal(typeof banner.time, 'number', 'JSON keeps epoch-ms times for machines');
    assert.match(String(banner.url), /^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/mercure$/, 'banner url');
    assert.match(String(banner.store), /^memory/, 'banner store');
    assert.match(String(banner.security), /^development/, 'banner security');
  });

  it('--log-format forces either format whatever stdout is', async () => {
    const json = (await startOutput(true, ['--log-format', 'json'])).replaceAll('\r', '');
    assert.ok(
      json
        .split('\n')
        .filter((l) => l !== '')
        .every((l) => l.startsWith('{')),
      `JSON on a terminal: ${json}`,
    );
    const pretty = await startOutput(false, [], { TIDINGS_LOG_FORMAT: 'pretty' });
    assert.match(pretty, /^\d\d:\d\d:\d\d\.\d{3} WARN /m, `human lines into a pipe: ${pretty}`);
    assert.ok(!pretty.includes('{"level"'), `no JSON when pretty is forced: ${pretty}`);
    const bad = await run(process.execPath, [TIDINGS_BIN, 'serve', '--log-format', 'xml']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((bad as { code: number }).code, 2, 'an unknown format is a usage error');
    assert.match(
      (bad as { stderr: string }).stderr,
      /--log-format must be one of auto, json, pretty/,
      'says why',
    );
  });

  it('a bare `tidings` says a command is missing and lists the commands', async () => {
    const res = await run(process.execPath, [TIDINGS_BIN]).catch((e: { code: number; stderr: string }) => e);
    assert.equal((res as { code: number }).code, 2, 'exit code 2');
    const stderr = (res as { stderr: string }).stderr;
    assert.match(stderr, /a command is missing/, `says what is wrong: ${stderr}`);
    assert.match(stderr, /^ {2}serve +run the hub/m, `lists serve: ${stderr}`);
  });

  it('a busy port names the --port flag', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await run(process.execPath, [
        TIDINGS_BIN,
        'serve',
        '--port',
        String(port),
        '--transport',
        'memory',
      ]).catch((e: { code: number; stderr: string }) => e);
      assert.equal((res as { code: number }).code, 1, 'exit code 1');
      const stderr = (res as { stderr: string }).stderr;
      assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), stderr);
      assert.match(stderr, /--port <n>/, `names the flag: ${stderr}`);
      assert.ok(!stderr.includes('    at '), `no stack trace: ${stderr}`);
    } finally {
      blocker.close();
    }
  });

  it('--help ends with examples', async () => {
    const { stdout } = await run(process.execPath, [TIDINGS_BIN, 'serve', '--help']);
    const examples = stdout.lastIndexOf('Examples:');
    assert.ok(examples > stdout.lastIndexOf('--help'), 'Examples come after the flags');
    assert.match(stdout.slice(examples), /tidings serve --port 3001/, 'an example with --port');
  });
});
