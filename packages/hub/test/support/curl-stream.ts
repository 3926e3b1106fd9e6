import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * curl reading a stream (`-N`: no buffering), for tests that want a third-party HTTP/2 client:
 * its output as bytes, and a wait on what it has printed (each chunk wakes the check: no sleep).
 */
export class CurlStream {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #out = Buffer.alloc(0);
  #err = '';
  #wake: (() => void) | undefined;

  constructor(args: readonly string[]) {
    this.child = spawn('curl', ['-sSN', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    this.child.stdout!.on('data', (d: Buffer) => {
      this.#out = Buffer.concat([this.#out, d]);
      this.#wake?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.#err += d.toString();
    });
    this.child.once('exit', () => this.#wake?.());
  }

  /** Everything printed so far, as UTF-8 text (byte-exact checks use `bytes`). */
  get text(): string {
    return this.#out.toString('utf8');
  }

  get bytes(): Buffer {
    return this.#out;
  }

  get stderr(): string {
    return this.#err;
  }

  /** Resolves once `check(text)` holds; rejects past `timeoutMs` or when curl exits without it. */
  async until(check: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.text)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`curl exited before ${what}: ${this.text} ${this.#err}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms: ${this.text} ${this.#err}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}

/** One curl request to its end: body (bytes as text), status and the HTTP version curl used. */
export async function curlOnce(
  args: readonly string[],
): Promise<{ body: string; status: number; version: string }> {
  const { stdout } = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %{http_version}', ...args], {
    encoding: 'utf8',
  });
  const nl = stdout.lastIndexOf('\n');
  const [status, version] = stdout.slice(nl + 1).split(' ');
  return { body: stdout.slice(0, nl), status: Number(status), version: version! };
}
