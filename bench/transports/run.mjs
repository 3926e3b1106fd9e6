// `npm run bench:transports`: what each transport costs per delivered update (bytes both ways at
// the socket, requests, hub CPU, latency), poll every 1 s and 5 s, long-poll, SSE, WebSocket and
// SSE over HTTP/2, at 0.1, 1 and 10 updates per second. For each transport a fresh hub pinned to
// one CPU and a load generator (loadgen.mjs) with N clients pinned to the other, one after the
// other; then bench/results/transports.json, the charts (chart.mjs) and a report with every
// figure as a ratio to SSE in the same run (report.mjs). Started by bench/run.sh --transports.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
} from '../lib/servers.mjs';
import { tidings } from '../targets/tidings.mjs';
import { BASELINE } from './catalogue.mjs';
import { renderCharts } from './chart.mjs';
import { parseOptions } from './options.mjs';
import { printReport, withRatios } from './report.mjs';

const TOPIC = 'https://example.com/bench/transports';
const LOADGEN = fileURLToPath(new URL('./loadgen.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOFILE = Number(process.env.BENCH_NOFILE ?? 1024);
const opts = parseOptions(process.argv.slice(2));
const outDir = resolve(opts.outDir ?? fileURLToPath(new URL('../results/', import.meta.url)));

/** The bench's Tidings target; from the TypeScript sources with BENCH_HUB_FROM_SOURCE=1 (no build needed). */
const hub = {
  ...tidings,
  command: (o) => {
    const c = tidings.command(o);
    if (process.env.BENCH_HUB_FROM_SOURCE !== '1') return c;
    const args = c.args.map((a) =>
      a.endsWith('/dist/src/cli/main.js') ? join(ROOT, 'packages/hub/src/cli/main.ts') : a,
    );
    return { ...c, args: ['--conditions=tidings-source', '--import', 'tsx', ...args] };
  },
};

const phaseMs = opts.phases.reduce((s, p) => s + (p.leadS + p.windowS) * 1000, 0);
const budgetMs = phaseMs + 150_000;

async function runOne(transports) {
  const label = transports.join('+');
  console.error(`  ${label}, N = ${opts.n}`);
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-transports-'));
  let server;
  try {
    server = await startServer(hub, dir, NOFILE);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { label, errors: [e.message], groups: [] };
  }
  try {
    const out = join(dir, 'loadgen.json');
    const cfg = {
      label,
      host: HOST,
      port: server.port,
      serverPid: server.proc.pid,
      serverCpu: PIN ? SERVER_CPU : null,
      subscribePath: hub.subscribePath(TOPIC),
      publish: hub.publish(TOPIC),
      n: opts.n,
      transports,
      phases: opts.phases,
      connectConcurrency: 100,
      warmupCapMs: 30_000,
      drainCapMs: 15_000,
      budgetMs,
      out,
    };
    const p = pinned(LOADGEN_CPU, process.execPath, [LOADGEN, JSON.stringify(cfg)]);
    const proc = spawn(p.cmd, p.args, { stdio: ['ignore', 'inherit', 'inherit'] });
    children.add(proc);
    const killer = setTimeout(() => proc.kill('SIGKILL'), budgetMs + 30_000);
    const code = await new Promise((r) => proc.once('exit', (c, s) => r(c ?? s)));
    clearTimeout(killer);
    children.delete(proc);
    if (!existsSync(out))
      return { label, errors: [`load generator exited (${code}) without a result`], groups: [] };
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const early = server.exitedEarly();
    if (early) r.errors.push(`hub exited during the run (${early.code ?? early.sig})`);
    if (r.errors.length > 0) r.errors.push(`hub log:\n      ${tail(server.logFile, 8)}`);
    return r;
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const started = new Date();
  const prep = hub.prepare({ build: opts.build && process.env.BENCH_HUB_FROM_SOURCE !== '1' });
  if (prep.skip && process.env.BENCH_HUB_FROM_SOURCE !== '1') throw new Error(prep.skip);
  const plan = opts.together ? [opts.transports] : opts.transports.map((t) => [t]);
  setTimeout(
    () => {
      console.error('bench:transports: overall budget exceeded, stopping');
      killAll();
      process.exit(4);
    },
    plan.length * (budgetMs + 60_000),
  ).unref();
  console.error(
    `bench:transports (${opts.quick ? 'quick' : 'full'}): ${opts.transports.join(', ')}; N = ${opts.n}; ` +
      `rates ${opts.rates.join(', ')}/s, ${opts.leadS} s lead-in, windows ${opts.windows.join(', ')} s; ` +
      (opts.together ? 'all against one hub; ' : '') +
      (PIN ? `hub on CPU ${SERVER_CPU}, clients on CPU ${LOADGEN_CPU}` : 'no CPU pinning'),
  );
  const runs = [];
  for (const transports of plan) runs.push(await runOne(transports));
  const results = withRatios({
    meta: {
      mode: opts.quick ? 'quick' : 'full',
      options: opts,
      started: started.toISOString(),
      finished: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      kernel: release(),
      pinning: PIN ? { server: SERVER_CPU, loadgen: LOADGEN_CPU } : null,
      topic: TOPIC,
      payloadBytes: 100,
      baseline: BASELINE,
    },
    errors: runs.flatMap((r) => r.errors.map((e) => `${r.label}: ${e}`)),
    transports: runs.flatMap((r) => r.groups),
  });
  const write = (name, text) => {
    const file = join(outDir, name);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    console.log(`wrote ${file}`);
  };
  write('transports.json', `${JSON.stringify(results, null, 2)}\n`);
  for (const [name, svg] of Object.entries(renderCharts(results))) write(name, svg);
  const ok = printReport(results);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(`bench:transports: ${e.stack ?? e}`);
  killAll();
  process.exit(1);
});
