// Instructions per delivery, counted by valgrind's callgrind: a figure that does not move with the
// machine's other load (CPU seconds do: on a busy 2-core machine they vary by ±30 % between runs),
// for before/after comparisons of a change that should not cost anything (a layout change, say).
//
//   node bench/instructions.mjs [--baseline DIR] [--n 100] [--publishes 2000] [--warmup 1000] [--size 100]
//
// For this checkout (and DIR, another built checkout, when given), built with `npx tsc -b`: starts the
// hub CLI under callgrind with the fan-out benchmark's flags, connects N raw-socket SSE subscribers,
// publishes `warmup` updates (the JIT settles), zeroes the counters (callgrind_control -z), publishes
// `publishes` updates 8 in flight, waits until every subscriber has every update, dumps the counters
// (callgrind_control -d) and reads the instructions executed. Prints instructions per delivery and
// the ratio to the baseline. Runs A, B, A, B when --repeat 2 (default 1). Needs valgrind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, HOST } from './lib/servers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOPIC = 'https://example.com/bench/fanout';

function options(argv) {
  const o = { baseline: undefined, n: 100, publishes: 2000, warmup: 1000, size: 100, repeat: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = k === 'baseline' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return o;
}

/** Waits until `check()` is true, polling; throws after `ms`. */
async function until(check, ms, what) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function subscribe(port, counts, i) {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: HOST }, () => {
      s.write(
        `GET /.well-known/mercure?match=${encodeURIComponent(TOPIC)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
      );
    });
    let opened = false;
    s.on('data', (chunk) => {
      // Each update's frame has one "id:" line; counting them is enough (ordering is the wire tests' job).
      const text = chunk.toString('latin1');
      if (!opened && text.startsWith('HTTP/1.1 200')) {
        opened = true;
        resolve(s);
      }
      for (let at = text.indexOf('\nid:'); at >= 0; at = text.indexOf('\nid:', at + 4)) counts[i]++;
    });
    s.on('error', reject);
  });
}

async function publishMany(port, count, body) {
  const agentless = { host: HOST, port, path: '/.well-known/mercure', method: 'POST' };
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          ...agentless,
          agent,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`publish ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < count) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

async function measure(label, dir, o) {
  const cli = join(dir, 'packages/hub/dist/src/cli/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} missing: run npx tsc -b in ${dir}`);
  const work = mkdtempSync(join(tmpdir(), 'tidings-instr-'));
  const out = join(work, 'callgrind.out');
  const port = await freePort();
  const hub = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      '--dump-instr=no',
      process.execPath,
      '--max-semi-space-size=16',
      cli,
      'serve',
      '--port',
      String(port),
      '--host',
      HOST,
      '--anonymous',
      '--history-size',
      '1000',
      '--transport',
      'memory',
      '--data-dir',
      join(work, 'data'),
      '--publish-rate',
      '0',
      '--max-subscribers-per-client',
      '1000000',
      '--log-level',
      'warn',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  hub.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  try {
    const sockets = [];
    const counts = new Array(o.n).fill(0);
    // Generous: under valgrind Node starts about 50 times slower, and much slower again on a machine
    // busy with other valgrind runs (120 s was exceeded there). A hub that exits ends the wait at once.
    const deadline = Date.now() + 600_000;
    for (;;) {
      try {
        sockets.push(await subscribe(port, counts, 0));
        break;
      } catch {
        if (Date.now() > deadline || hub.exitCode !== null) throw new Error(`hub did not start: ${stderr}`);
        await sleep(500);
      }
    }
    for (let i = 1; i < o.n; i++) sockets.push(await subscribe(port, counts, i));
    const body = Buffer.from(`topic=${encodeURIComponent(TOPIC)}&data=${'x'.repeat(o.size)}`);
    await publishMany(port, o.warmup, body);
    await until(() => counts.every((c) => c >= o.warmup), 300_000, 'the warm-up deliveries');
    execFileSync('callgrind_control', ['-z', String(hub.pid)], { stdio: 'ignore' });
    await publishMany(port, o.publishes, body);
    const total = o.warmup + o.publishes;
    await until(() => counts.every((c) => c >= total), 600_000, 'every delivery');
    execFileSync('callgrind_control', ['-d', String(hub.pid)], { stdio: 'ignore' });
    for (const s of sockets) s.destroy();
    const dumps = readdirSync(work).filter((f) => f.startsWith('callgrind.out.') || f === 'callgrind.out');
    let ir = 0;
    for (const f of dumps) {
      const m = /^summary:\s+(\d+)/m.exec(readFileSync(join(work, f), 'utf8'));
      // The dump after -z holds only the measured part; the final one (at exit) is not read.
      if (m && f !== 'callgrind.out') ir = Math.max(ir, Number(m[1]));
    }
    if (ir === 0) throw new Error(`no callgrind dump in ${work}: ${dumps.join(', ')}`);
    const deliveries = o.publishes * o.n;
    const perDelivery = ir / deliveries;
    console.log(
      `${label}: ${Math.round(ir / 1e6)} M instructions for ${o.publishes} publishes to ${o.n} subscribers: ${Math.round(perDelivery)} per delivery`,
    );
    return perDelivery;
  } finally {
    hub.kill('SIGKILL');
    await new Promise((r) => (hub.exitCode !== null ? r() : hub.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
  }
}

const o = options(process.argv.slice(2));
const results = { current: [], baseline: [] };
for (let r = 0; r < o.repeat; r++) {
  results.current.push(await measure('this checkout', ROOT, o));
  if (o.baseline) results.baseline.push(await measure(`baseline ${o.baseline}`, o.baseline, o));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
if (o.baseline) {
  const ratio = median(results.current) / median(results.baseline);
  console.log(`instructions per delivery, this checkout / baseline: ${ratio.toFixed(3)}`);
}
