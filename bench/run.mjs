// Benchmark driver: for each server under test and each subscriber count, starts a fresh server
// pinned to one CPU, runs the load generator pinned to the other, collects its measurements, then
// writes bench/results/<mode>.json and .svg and prints a table with ratios to nchan and naive.
// Normally started by bench/run.sh (`npm run bench`), which installs nginx/nchan and raises ulimit -n.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.mjs';
import { printH2Report } from './lib/h2-report.mjs';
import { printPublishReport } from './lib/publish-report.mjs';
import { printReport } from './lib/report.mjs';
import {
  children,
  HOST,
  killAll,
  LOADGEN_CPU,
  PIN,
  pinned,
  SERVER_CPU,
  startServer,
  stopServer,
  tail,
} from './lib/servers.mjs';
import { naive } from './targets/naive.mjs';
import { nchan } from './targets/nchan.mjs';
import {
  tidings,
  tidingsBaseline,
  tidingsBaselineLmdbToken,
  tidingsH2,
  tidingsH2x100,
  tidingsLmdbToken,
  tidingsMemoryToken,
} from './targets/tidings.mjs';

const TARGETS = {
  tidings,
  nchan,
  naive,
  'tidings-memory-token': tidingsMemoryToken,
  'tidings-lmdb-token': tidingsLmdbToken,
  'tidings-h2': tidingsH2,
  'tidings-h2x100': tidingsH2x100,
  'tidings-baseline': tidingsBaseline,
  'tidings-baseline-lmdb-token': tidingsBaselineLmdbToken,
};
const TOPIC = 'https://example.com/bench/fanout';
const LOADGEN = fileURLToPath(new URL('./loadgen/loadgen.mjs', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const HELP = `npm run bench -- [options]
  --quick              N = 100 and 1,000, 2 s phases, one repetition, no idle run (about 40 s)
  --targets a,b        servers to run: tidings,nchan,naive (default all three); tidings-baseline is
                       the hub built in BENCH_BASELINE (another checkout), for before/after ratios;
                       tidings-baseline-lmdb-token is its LMDB + token publish path
  --n 100,1000,10000   subscriber counts for the publish runs
  --idle 19000         subscriber counts for idle-only memory runs ('none' to skip)
  --duration S         seconds of publishing per phase (default 5, quick 2)
  --rate D             deliveries per second of the fixed-rate phase (default 100000)
  --window W           pipelined publishes in flight in the unthrottled phase (default 8)
  --repeat R           runs of each (server, N), interleaved; the report shows medians (default 3, quick 1)
  --read-nap-ms MS     the load generator's reading thread sleeps MS per event-loop turn in the
                       unthrottled phase so each read carries more events (default 1; 0: read at once)
  --phases max,rate    which publish phases to run
  --max-rate R         Tidings subscribers ask for maxRate=R (conflation: fewer deliveries than
                       publishes by design; 'lost' then counts what was conflated away)
  --publish-path       the publish-path run: nchan, tidings-memory-token, tidings-lmdb-token with
                       one subscriber, unthrottled, 64 in flight (out: publish)
  --h2                 HTTP/2 against HTTP/1.1: tidings (HTTP/1.1 subscribers), tidings-h2 (h2c, one per
                       connection), tidings-h2x100 (100 streams per connection); N = 1,000 (out: h2)
  --no-build           do not run npx tsc -b before the Tidings runs
  --out NAME           results file name in bench/results/ (default quick or full)`;

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const o = {
    quick,
    targets: ['tidings', 'nchan', 'naive'],
    ns: quick ? [100, 1000] : [100, 1000, 10000],
    idle: quick ? [] : [19000],
    durationS: quick ? 2 : 5,
    rate: 100000,
    window: 8,
    repeat: quick ? 1 : 3,
    readNapMs: 1,
    phases: ['max', 'rate'],
    build: true,
    out: quick ? 'quick' : 'full',
  };
  const list = (v) => (v === 'none' || v === '' ? [] : v.split(','));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--quick') continue;
    else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--targets') o.targets = list(v());
    else if (a === '--n') o.ns = list(v()).map(Number);
    else if (a === '--idle') o.idle = list(v()).map(Number);
    else if (a === '--duration') o.durationS = Number(v());
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--window') o.window = Number(v());
    else if (a === '--phases') o.phases = list(v());
    else if (a === '--repeat') o.repeat = Math.max(1, Number(v()));
    else if (a === '--read-nap-ms') o.readNapMs = Number(v());
    else if (a === '--no-build') o.build = false;
    else if (a === '--max-rate') o.maxRate = Number(v());
    else if (a === '--publish-path') {
      o.targets = ['nchan', 'tidings-memory-token', 'tidings-lmdb-token'];
      o.ns = [1];
      o.idle = [];
      o.phases = ['max'];
      o.window = 64;
      o.out = 'publish';
    } else if (a === '--h2') {
      o.targets = ['tidings', 'tidings-h2', 'tidings-h2x100'];
      o.ns = [1000];
      o.idle = [];
      o.out = 'h2';
    } else if (a === '--out') o.out = v().replace(/[^\w.-]/g, '_');
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  for (const t of o.targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}`);
  if (o.maxRate !== undefined) process.env.BENCH_MAX_RATE = String(o.maxRate);
  for (const p of o.phases) if (p !== 'max' && p !== 'rate') throw new Error(`unknown phase ${p}`);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const NOFILE = Number(process.env.BENCH_NOFILE ?? 1024);
// Room for a server's own descriptors (listen socket, epoll, log files, publisher, libuv) below ulimit -n.
const FD_HEADROOM = 60;

function phaseConfigs() {
  const durationMs = Math.round(opts.durationS * 1000);
  const base = { durationMs, drainCapMs: 30_000, idleCapMs: 3_000 };
  return opts.phases.map((kind) =>
    kind === 'max'
      ? { ...base, kind, window: opts.window, readNapMs: opts.readNapMs }
      : { ...base, kind, deliveriesPerSec: opts.rate, maxOutstanding: 10_000 },
  );
}

function runBudgetMs(n, idleOnly) {
  const phases = idleOnly ? [] : phaseConfigs();
  return 90_000 + n * 5 + phases.reduce((s, p) => s + p.durationMs + p.drainCapMs + p.idleCapMs + 1000, 0);
}

async function runLoadgen(target, server, n, idleOnly, dir) {
  const out = join(dir, 'loadgen.json');
  const budgetMs = runBudgetMs(n, idleOnly);
  const cfg = {
    label: `${target.name} N=${n}${idleOnly ? ' idle' : ''}`,
    host: HOST,
    port: server.port,
    serverPid: server.proc.pid,
    subscribePath: target.subscribePath(TOPIC),
    publish: target.publish(TOPIC),
    h2StreamsPerConnection: target.h2StreamsPerConnection,
    // Only Tidings subscribers ask for the rate (bench/targets/tidings.mjs).
    maxRate: target.name.startsWith('tidings') ? opts.maxRate : undefined,
    serverCpu: PIN ? SERVER_CPU : null,
    loadgenCpu: PIN ? LOADGEN_CPU : null,
    n,
    idleOnly,
    phases: phaseConfigs(),
    connectConcurrency: 256,
    warmupCapMs: 30_000 + n * 2,
    settleMs: 1500,
    budgetMs,
    out,
  };
  const nodeArgs = (process.env.BENCH_LOADGEN_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const p = pinned(LOADGEN_CPU, process.execPath, [...nodeArgs, LOADGEN, JSON.stringify(cfg)]);
  const proc = spawn(p.cmd, p.args, { stdio: ['ignore', 'inherit', 'inherit'] });
  children.add(proc);
  const killer = setTimeout(() => proc.kill('SIGKILL'), budgetMs + 30_000);
  const code = await new Promise((r) => proc.once('exit', (c, s) => r(c ?? s)));
  clearTimeout(killer);
  children.delete(proc);
  if (!existsSync(out)) return { errors: [`load generator exited (${code}) without a result`], phases: [] };
  return JSON.parse(readFileSync(out, 'utf8'));
}

async function runOne(target, n, idleOnly) {
  const dir = mkdtempSync(join(tmpdir(), `tidings-bench-${target.name}-`));
  const label = `${target.name} N=${n}${idleOnly ? ' (idle only)' : ''}`;
  console.error(`  ${label}`);
  let server;
  try {
    server = await startServer(target, dir, NOFILE);
  } catch (e) {
    console.error(`    ${e.message}`);
    rmSync(dir, { recursive: true, force: true });
    return { target: target.name, n, idleOnly, errors: [e.message], phases: [] };
  }
  try {
    const r = await runLoadgen(target, server, n, idleOnly, dir);
    const early = server.exitedEarly();
    if (early) r.errors.push(`server exited during the run (${early.code ?? early.sig})`);
    if (r.errors.length > 0) r.errors.push(`server log:\n      ${tail(server.logFile, 8)}`);
    return { target: target.name, ...r, n, idleOnly };
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
// Counts that must be zero are summed over repetitions, everything else is the median.
const SUMMED = new Set(['lost', 'outOfOrder', 'publishErrors', 'subscribersClosed', 'skippedBehind']);

function mergeObjects(list) {
  const out = {};
  for (const key of new Set(list.flatMap((o) => Object.keys(o ?? {})))) {
    const vals = list.map((o) => o?.[key]);
    const sample = vals.find((v) => v !== undefined && v !== null);
    if (typeof sample === 'number')
      out[key] = SUMMED.has(key) ? vals.reduce((a, b) => a + (b ?? 0), 0) : median(vals);
    else if (sample && typeof sample === 'object' && !Array.isArray(sample))
      out[key] = mergeObjects(vals.map((v) => v ?? {}));
    else if (typeof sample === 'boolean') out[key] = vals.some(Boolean);
    else out[key] = sample ?? null;
  }
  return out;
}

/** One entry per (server, N, idle): medians over the repetitions, errors of all of them. */
function aggregate(samples) {
  const groups = new Map();
  for (const s of samples) {
    const k = `${s.target}|${s.n}|${s.idleOnly}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(s);
  }
  const runs = [];
  for (const list of groups.values()) {
    const { target, n, idleOnly } = list[0];
    const errors = list.flatMap((s) =>
      (s.errors ?? []).map((e) => (list.length > 1 ? `#${s.rep}: ${e}` : e)),
    );
    const warnings = list.flatMap((s) => s.warnings ?? []);
    const kinds = [...new Set(list.flatMap((s) => (s.phases ?? []).map((p) => p.kind)))];
    const phases = kinds.map((kind) => {
      const ps = list.map((s) => s.phases?.find((p) => p.kind === kind)).filter(Boolean);
      return { ...mergeObjects(ps), repetitions: ps.length };
    });
    const mem = mergeObjects(
      list.map(({ phases: _p, errors: _e, serverPids: _s, rep: _r, ...rest }) => rest),
    );
    runs.push({ ...mem, target, n, idleOnly, repetitions: list.length, errors, warnings, phases });
  }
  return runs;
}

function versionOf(cmd, args) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.stderr.on('data', (d) => (s += d));
    p.on('error', () => resolve(null));
    p.on('exit', () => resolve(s.trim().split('\n')[0] || null));
  });
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const started = new Date();
  const idle = opts.idle.map((n) => {
    const max = NOFILE - FD_HEADROOM;
    if (n > max) console.error(`  idle N=${n} is above ulimit -n (${NOFILE}) less headroom: using ${max}`);
    return Math.min(n, max);
  });
  const ns = opts.ns.filter((n) => {
    if (n + FD_HEADROOM <= NOFILE) return true;
    console.error(`  N=${n} skipped: above ulimit -n (${NOFILE})`);
    return false;
  });
  const total =
    opts.targets.length *
    opts.repeat *
    (ns.reduce((s, n) => s + runBudgetMs(n, false), 0) + idle.reduce((s, n) => s + runBudgetMs(n, true), 0));
  const globalWatchdog = setTimeout(() => {
    console.error(`bench: overall budget of ${Math.round(total / 1000)} s exceeded, stopping`);
    killAll();
    process.exit(4);
  }, total + 60_000);
  globalWatchdog.unref();

  const meta = {
    mode: opts.quick ? 'quick' : 'full',
    options: opts,
    started: started.toISOString(),
    node: process.version,
    nginx: await versionOf('/usr/sbin/nginx', ['-v']),
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    kernel: release(),
    pinning: PIN ? { server: SERVER_CPU, loadgen: LOADGEN_CPU } : null,
    nofile: NOFILE,
    topic: TOPIC,
    payloadBytes: 100,
  };
  console.error(
    `bench (${meta.mode}): targets ${opts.targets.join(', ')}; N ${ns.join(', ')}; idle ${idle.join(', ') || 'none'}; ` +
      `${opts.durationS} s per phase (${opts.phases.join(', ')}), fixed rate ${opts.rate} deliveries/s; ` +
      (PIN ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOADGEN_CPU}` : 'no CPU pinning'),
  );

  const skipped = {};
  const ready = [];
  for (const name of opts.targets) {
    const target = TARGETS[name];
    const prep = await target.prepare({ build: opts.build });
    if (prep.skip) {
      skipped[name] = prep.skip;
      console.error(`  SKIP ${name}: ${prep.skip}`);
    } else {
      ready.push(target);
    }
  }
  // Interleaved (every server at one N, then the next N, then again), so that a burst of other
  // load on the machine hits every server rather than one; medians over the repetitions.
  const samples = [];
  for (let rep = 1; rep <= opts.repeat; rep++) {
    if (opts.repeat > 1) console.error(` repetition ${rep} of ${opts.repeat}`);
    for (const n of ns)
      for (const target of ready) samples.push({ rep, ...(await runOne(target, n, false)) });
  }
  for (const n of idle)
    for (const target of ready) samples.push({ rep: 1, ...(await runOne(target, n, true)) });
  const runs = aggregate(samples);
  meta.finished = new Date().toISOString();
  const results = { meta, skipped, runs, samples: opts.repeat > 1 ? samples : undefined };
  const json = join(RESULTS, `${opts.out}.json`);
  const svg = join(RESULTS, `${opts.out}.svg`);
  writeFileSync(`${json}.tmp`, JSON.stringify(results, null, 2));
  renameSync(`${json}.tmp`, json);
  writeFileSync(`${svg}.tmp`, renderChart(results));
  renameSync(`${svg}.tmp`, svg);
  const ok = printReport(results);
  printH2Report(results);
  printPublishReport(results);
  console.log(`\nwrote ${json}\nwrote ${svg}`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  killAll();
  process.exit(1);
});
