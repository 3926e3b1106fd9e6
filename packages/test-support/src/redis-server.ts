import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real redis-server for tests: its own free port on loopback and its own temp directory (never
 * the machine's 6379). Data survives stop/kill + restart on the same port (AOF, fsync always), so
 * tests can restart Redis under load and check that nothing acknowledged was lost.
 */
export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:PORT/0 */
  readonly url: string;
  readonly dir: string;
  /** Graceful shutdown (SIGTERM); waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL; waits for the process to exit. */
  kill(): Promise<void>;
  /** Starts again on the same port and directory; waits until it answers PING. */
  start(): Promise<void>;
  /** stop() then start(); `downMs` is how long it stays down. */
  restart(downMs?: number): Promise<void>;
  /** Runs one command (inline protocol, no quoting) and returns the raw reply. */
  command(line: string): Promise<string>;
  /** Stops the server and deletes its directory. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** `always` (default): every write is on disk before Redis answers it. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** Extra `--name value` arguments. */
  readonly args?: readonly string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Sends one inline command and resolves with the first complete reply line(s). */
function sendCommand(port: number, line: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${port}: no answer to ${line}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (isCompleteReply(data)) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Good enough for the replies tests read: simple strings, errors, integers and bulk strings. */
function isCompleteReply(data: string): boolean {
  if (!data.endsWith('\r\n')) return false;
  if (data[0] === '$') {
    const len = Number(data.slice(1, data.indexOf('\r\n')));
    return len < 0 || data.length >= data.indexOf('\r\n') + 2 + len + 2;
  }
  if (data[0] === '*') return true;
  return true;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tidings-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  async function start(): Promise<void> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      options.appendfsync ?? 'always',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--logfile',
      '',
      ...(options.args ?? []),
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // A test process that dies (timeout, crash) must not leave its redis-server running.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    proc.stdout?.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    proc.stderr?.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server exited at start (port ${port}):\n${log}`);
      }
      try {
        const reply = await sendCommand(port, 'PING', 300);
        if (reply.startsWith('+PONG')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${port}:\n${log}`);
      await sleep(20);
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    await exited;
    child = undefined;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir,
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart(downMs = 0) {
      await signal('SIGTERM');
      if (downMs > 0) await sleep(downMs);
      await start();
    },
    command: (line) => sendCommand(port, line),
    async dispose() {
      await signal('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
