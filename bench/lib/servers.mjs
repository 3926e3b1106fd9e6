// Starting and stopping the servers under test, each pinned to its CPU (taskset), for every
// benchmark driver (bench/run.mjs, bench/transports/run.mjs). Every child is remembered and
// killed when the driver exits, so an interrupted run leaves nothing behind.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';
export const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
export const LOADGEN_CPU = process.env.BENCH_LOADGEN_CPU ?? '1';
export const PIN = process.env.BENCH_NO_PIN !== '1';
// BENCH_NICE=-10 (as root) gives the servers and the load generator priority over other work on a
// shared machine: less noise, at the others' expense. Off by default.
const NICE = process.env.BENCH_NICE;

export const children = new Set();
export function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

export function pinned(cpu, cmd, args) {
  const p = PIN ? { cmd: 'taskset', args: ['-c', cpu, cmd, ...args] } : { cmd, args };
  return NICE ? { cmd: 'nice', args: ['-n', NICE, p.cmd, ...p.args] } : p;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n      ');
  } catch {
    return '(no log)';
  }
}

/** Starts `target` pinned to the server CPU; resolves once it accepts connections. */
export async function startServer(target, dir, maxFiles) {
  const port = await freePort();
  const { cmd, args, cwd } = target.command({ host: HOST, port, dir, maxFiles });
  const logFile = join(dir, 'server.log');
  const fd = openSync(logFile, 'a');
  const p = pinned(SERVER_CPU, cmd, args);
  const proc = spawn(p.cmd, p.args, { cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(proc);
  let exited = null;
  proc.once('exit', (code, sig) => {
    exited = { code, sig };
    children.delete(proc);
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && exited === null) {
    if (await canConnect(port)) break;
    await sleep(50);
  }
  if (exited !== null || Date.now() >= deadline) {
    proc.kill('SIGKILL');
    const why = exited ? `exited (${exited.code ?? exited.sig})` : 'did not listen within 20 s';
    throw new Error(`${target.name} ${why}; log ${logFile}:\n      ${tail(logFile)}`);
  }
  await sleep(300); // let nginx fork its worker
  return { port, proc, logFile, exitedEarly: () => exited };
}

export async function stopServer(s) {
  if (s.exitedEarly()) return;
  const gone = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  if ((await Promise.race([gone.then(() => true), sleep(5000).then(() => false)])) === false) {
    s.proc.kill('SIGKILL');
    await gone;
  }
}
