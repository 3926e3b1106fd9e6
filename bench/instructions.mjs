// Instructions per delivery, counted by valgrind's callgrind: a figure that does not move with the
// machine's other load (CPU seconds do: on a busy 2-core machine they vary by ±30 % between runs),
// for before/after comparisons of a change that should not cost anything (a layout change, say).
//
//   node bench/instructions.mjs [--baseline DIR] [--n 100] [--publishes 2000] [--warmup 1000] [--size 100]
//                               [--in-flight 8] [--h2 1,100] [--h2-window 6291456]
//
// For this checkout (and DIR, another built checkout, when given), built with `npx tsc -b`: starts the
// hub CLI under callgrind with the fan-out benchmark's flags, connects N raw-socket SSE subscribers,
// publishes `warmup` updates (the JIT settles), zeroes the counters (callgrind_control -z), publishes
// `publishes` updates 8 in flight, waits until every subscriber has every update, dumps the counters
// (callgrind_control -d) and reads the instructions executed. Prints instructions per delivery and
// the ratio to the baseline. Runs A, B, A, B when --repeat 2 (default 1). Needs valgrind.
//
// `--h2 1,100` measures HTTP/1.1 and then HTTP/2 subscribers (h2c with prior knowledge, a
// browser's windows: lib/h2c-streams.mjs) with 1 and with 100 streams per connection, each
// repeat in that order, and prints each h2 figure as a ratio to HTTP/1.1's (issue 14's target:
// at most 1.3). Publishing stays HTTP/1.1, so only delivery differs. `--in-flight 1` publishes
// one update at a time (about one per event-loop turn); the default 8 is unthrottled.
// `--h2-window 65535` has the h2 subscribers advertise HTTP/2's default stream window instead of
// a browser's 6 MB.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { STREAM_WINDOW, subscribeH2 } from './lib/h2c-streams.mjs';
import { freePort, HOST } from './lib/servers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOPIC = 'https://example.com/bench/fanout';
const SUBSCRIBE_PATH = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;

function ignore() {}

function protocolName(perConnection) {
  if (perConnection === 0) return 'HTTP/1.1';
  return `h2, ${perConnection} stream${perConnection === 1 ? '' : 's'} per connection`;
}

function options(argv) {
  const o = {
    baseline: undefined,
    n: 100,
    publishes: 2000,
    warmup: 1000,
    size: 100,
    repeat: 1,
    inFlight: 8,
    h2Window: STREAM_WINDOW,
  };
  let h2 = [];
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    if (k === 'h2') h2 = argv[i + 1].split(',').map(Number);
    else if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    else o[k] = k === 'baseline' ? argv[i + 1] : Number(argv[i + 1]);
  }
  for (const k of h2) if (!(k >= 1 && k <= o.n)) throw new Error(`--h2 ${k}: 1 to N streams per connection`);
  // 0 streams per connection: HTTP/1.1, one raw socket per subscriber.
  o.protocols = h2.length === 0 ? [0] : [0, ...h2];
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
      s.write(`GET ${SUBSCRIBE_PATH} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
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

async function publishMany(port, count, body, inFlight) {
  const agentless = { host: HOST, port, path: '/.well-known/mercure', method: 'POST' };
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
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
      // A kept-alive socket the hub resets while it idles in the pool must not end this process
      // (an error there belongs to no request); a request's own errors still reject above.
      req.once('socket', (socket) => {
        if (!socket.listenerCount('error', ignore)) socket.on('error', ignore);
      });
      req.end(body);
    });
  const worker = async () => {
    while (next < count) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  agent.destroy();
}

async function measure(label, dir, o, perConnection) {
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
      // One dump per thread: V8 optimizes code on worker threads all along (under callgrind the
      // warm-up does not settle it), which is not the event loop's work per delivery.
      '--separate-threads=yes',
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
    // Subscribers i to i + k - 1: k raw sockets, or k streams on one h2c connection.
    const k = Math.max(1, perConnection);
    const open = async (i) => {
      const count = Math.min(k, o.n - i);
      if (perConnection === 0) sockets.push(await subscribe(port, counts, i));
      else sockets.push(await subscribeH2(HOST, port, SUBSCRIBE_PATH, counts, i, count, o.h2Window));
      return count;
    };
    // Generous: under valgrind Node starts about 50 times slower, and much slower again on a machine
    // busy with other valgrind runs (120 s was exceeded there). A hub that exits ends the wait at once.
    const deadline = Date.now() + 600_000;
    let opened;
    for (;;) {
      try {
        opened = await open(0);
        break;
      } catch {
        if (Date.now() > deadline || hub.exitCode !== null) throw new Error(`hub did not start: ${stderr}`);
        await sleep(500);
      }
    }
    while (opened < o.n) opened += await open(opened);
    const body = Buffer.from(`topic=${encodeURIComponent(TOPIC)}&data=${'x'.repeat(o.size)}`);
    await publishMany(port, o.warmup, body, o.inFlight);
    await until(() => counts.every((c) => c >= o.warmup), 300_000, 'the warm-up deliveries');
    execFileSync('callgrind_control', ['-z', String(hub.pid)], { stdio: 'ignore' });
    await publishMany(port, o.publishes, body, o.inFlight);
    const total = o.warmup + o.publishes;
    await until(() => counts.every((c) => c >= total), 600_000, 'every delivery');
    execFileSync('callgrind_control', ['-d', String(hub.pid)], { stdio: 'ignore' });
    for (const s of sockets) s.destroy();
    // callgrind.out.<dump>-<thread>: the dump after -z holds only the measured part (the final
    // one, at exit, has no dump number and is not read); thread 01 is the main thread.
    const dumps = readdirSync(work);
    let ir = 0;
    let main = 0;
    for (const f of dumps) {
      const t = /^callgrind\.out\.\d+-(\d+)$/.exec(f);
      const m = t && /^summary:\s+(\d+)/m.exec(readFileSync(join(work, f), 'utf8'));
      if (!m) continue;
      ir += Number(m[1]);
      if (Number(t[1]) === 1) main = Number(m[1]);
    }
    if (main === 0) throw new Error(`no callgrind dump in ${work}: ${dumps.join(', ')}`);
    const deliveries = o.publishes * o.n;
    const perDelivery = main / deliveries;
    console.log(
      `${label}, ${protocolName(perConnection)}: ${Math.round(main / 1e6)} M instructions for ${o.publishes} publishes to ${o.n} subscribers: ${Math.round(perDelivery)} per delivery (main thread; all threads ${Math.round(ir / deliveries)})`,
    );
    return perDelivery;
  } finally {
    hub.kill('SIGKILL');
    await new Promise((r) => (hub.exitCode !== null ? r() : hub.once('exit', r)));
    // BENCH_KEEP_CALLGRIND=1 keeps the dumps, for callgrind_annotate (where the instructions go).
    if (process.env.BENCH_KEEP_CALLGRIND === '1') console.log(`callgrind dumps kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

const o = options(process.argv.slice(2));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map();
const record = (key, value) => results.set(key, [...(results.get(key) ?? []), value]);
for (let r = 0; r < o.repeat; r++) {
  for (const p of o.protocols) {
    record(`current ${p}`, await measure('this checkout', ROOT, o, p));
    if (o.baseline) record(`baseline ${p}`, await measure(`baseline ${o.baseline}`, o.baseline, o, p));
  }
}
for (const p of o.protocols) {
  if (o.baseline) {
    const ratio = median(results.get(`current ${p}`)) / median(results.get(`baseline ${p}`));
    console.log(
      `instructions per delivery, ${protocolName(p)}, this checkout / baseline: ${ratio.toFixed(3)}`,
    );
  }
  if (p === 0) continue;
  for (const which of o.baseline ? ['current', 'baseline'] : ['current']) {
    const ratio = median(results.get(`${which} ${p}`)) / median(results.get(`${which} 0`));
    const label = which === 'current' ? 'this checkout' : 'baseline';
    console.log(`${label}: ${protocolName(p)} / HTTP/1.1, instructions per delivery: ${ratio.toFixed(3)}`);
  }
}
