import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { resolve } from 'node:path';

/** The real CLI, as compiled by `tsc -b`. */
export const TIDINGS_BIN = resolve(import.meta.dirname, '../packages/hub/bin/tidings.js');

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const USER_HZ = 100;

export interface ProcessSample {
  readonly rssBytes: number;
  /** The anonymous part of RSS (heap, buffers); the rest is mostly LMDB's memory-mapped file. */
  readonly rssAnonBytes: number;
  readonly fds: number;
  /** CPU seconds (user + system) since the process started. */
  readonly cpuSeconds: number;
}

/** `tidings serve` as a child process: its port, its log lines by level, /proc samples. */
export class HubProcess {
  readonly child: ChildProcess;
  /** Counts of log lines by pino level (30 info, 40 warn, 50 error, 60 fatal). */
  readonly levels = new Map<number, number>();
  /** The first warn-or-worse lines (the rest are counted only). */
  readonly notable: string[] = [];
  stderr = '';
  #port = 0;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  get port(): number {
    return this.#port;
  }

  static async start(args: readonly string[]): Promise<HubProcess> {
    const child = spawn(process.execPath, [TIDINGS_BIN, 'serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hub = new HubProcess(child);
    child.stderr!.on('data', (d: Buffer) => {
      if (hub.stderr.length < 64 * 1024) hub.stderr += d.toString();
    });
    hub.#port = await new Promise<number>((resolvePort, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`the hub did not start: ${hub.stderr}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl = buf.indexOf('\n');
        while (nl !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
          let rec: Record<string, unknown>;
          try {
            rec = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          const level = Number(rec.level);
          hub.levels.set(level, (hub.levels.get(level) ?? 0) + 1);
          if (level >= 40 && hub.notable.length < 20) hub.notable.push(line.slice(0, 500));
          if (typeof rec.port === 'number' && typeof rec.url === 'string') {
            clearTimeout(timer);
            resolvePort(rec.port);
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the hub exited (${code ?? signal}) before listening: ${hub.stderr}`));
      });
    });
    return hub;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  sample(): ProcessSample {
    const pid = this.child.pid!;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    return { rssBytes: kb('VmRSS') * 1024, rssAnonBytes: kb('RssAnon') * 1024, fds, cpuSeconds };
  }

  /**
   * The hub's Prometheus text, parsed: `name{labels}` -> value. Fresh connection each time; fails
   * when the hub stays silent for `timeoutMs`.
   */
  metrics(timeoutMs = 10_000): Promise<Map<string, number>> {
    return new Promise((resolveMetrics, reject) => {
      const req = get(
        { host: '127.0.0.1', port: this.port, path: '/metrics', agent: false, timeout: timeoutMs },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            const out = new Map<string, number>();
            for (const line of text.split('\n')) {
              if (line === '' || line.startsWith('#')) continue;
              const sp = line.lastIndexOf(' ');
              out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
            }
            resolveMetrics(out);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('/metrics timed out')));
      req.on('error', reject);
    });
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`; resolves with the exit code or signal. */
  async stop(graceMs = 10_000): Promise<number | string> {
    if (!this.alive) return this.child.exitCode ?? this.child.signalCode ?? 'gone';
    const exited = once(this.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const [code, signal] = await exited;
    clearTimeout(timer);
    return code ?? signal ?? 'unknown';
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Sends `signal` if the hub is still running (never to a pid that may have been reused). */
  signal(signal: NodeJS.Signals): boolean {
    return this.alive && this.child.kill(signal);
  }
}

/**
 * A metric from `HubProcess.metrics()`, summed over its label sets; undefined when the hub does
 * not expose it (metrics added by newer hubs are read when present, reported n/a otherwise).
 */
export function metricValue(m: ReadonlyMap<string, number>, name: string): number | undefined {
  let sum: number | undefined;
  for (const [key, v] of m) {
    if (key === name || (key.startsWith(name) && key[name.length] === '{')) sum = (sum ?? 0) + v;
  }
  return sum;
}
