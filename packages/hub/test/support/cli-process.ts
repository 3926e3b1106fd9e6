import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The real CLI as a user runs it: the `tidings` bin of the hub package (compiled by `tsc -b`). */
export const TIDINGS_BIN = resolve(import.meta.dirname, '../../bin/tidings.js');

export interface CliHub {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `tidings serve` with `args` (port 0 unless given) and resolves once it logs that it listens. */
export async function startCli(args: string[] = [], env: Record<string, string> = {}): Promise<CliHub> {
  const withPort =
    args.some((a) => a.startsWith('--port')) || env.TIDINGS_PORT ? args : ['--port', '0', ...args];
  const withDir = args.some((a) => a.startsWith('--data-dir'))
    ? withPort
    : ['--data-dir', mkdtempSync(join(tmpdir(), 'tidings-cli-')), ...withPort];
  const child = spawn(process.execPath, [TIDINGS_BIN, 'serve', ...withDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`tidings did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (typeof rec.port === 'number' && typeof rec.url === 'string') {
            clearTimeout(timer);
            resolvePort(rec.port);
          }
        } catch {
          // not JSON: ignore
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tidings exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/.well-known/mercure`,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
