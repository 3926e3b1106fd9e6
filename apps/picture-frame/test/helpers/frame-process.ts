import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

export interface FrameProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL: no goodbye to anyone (a crash). Resolves once the process is gone. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const root = packageRoot();

/**
 * Runs the Picture Frame as `npm start` does (main.ts, here on the sources through tsx) in a
 * child process, so a test can kill it and start it again on the same port and data dir.
 */
export async function startFrameProcess(opts: {
  port: number;
  dataDir: string;
  env?: Record<string, string>;
  /** More command-line flags (e.g. --tls-self-signed). */
  args?: readonly string[];
}): Promise<FrameProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=tidings-source',
      '--import',
      'tsx',
      join(root, 'src', 'main.ts'),
      '--port',
      String(opts.port),
      '--data-dir',
      opts.dataDir,
      ...(opts.args ?? []),
    ],
    {
      cwd: join(root, '..', '..'),
      env: { ...process.env, PICTURE_SEARCH_BURST: '1000', PICTURE_SEARCHES_PER_MINUTE: '1000', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = once(child, 'exit');
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`frame did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /Shared Picture Frame on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`frame exited with ${code}:\n${out}`));
    });
  });
  const url = await started;
  return {
    url,
    child,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
