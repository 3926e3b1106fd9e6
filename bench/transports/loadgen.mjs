// The load generator of one run: `node bench/transports/loadgen.mjs '<json config>'`, pinned to
// its own CPU by run.mjs. Opens N clients of each transport named in the config (one transport per
// hub in a real run; all of them at once in `--together` smoke runs), has every client receive a
// warm-up update, then publishes on one timeline: per phase, `leadS` seconds at the phase's rate
// (the previous phase drains, the clients settle into the new rate) then `windowS` seconds
// measured, at the same rate, every update at the middle of its 1/rate slot. In a window it counts
// what the clients received and spent (tally.mjs) and the hub's CPU from /proc. At the end it waits
// until every client has every update, and writes its result as JSON to config.out.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyShare, cpuSeconds, cpuSecondsPrecise, cpuTimes, ioChars, processTree } from '../lib/proc.mjs';
import { nowMs } from '../loadgen/clock.mjs';
import { Publisher } from '../loadgen/publisher.mjs';
import { TRANSPORTS } from './catalogue.mjs';
import { Tally } from './tally.mjs';

const cfg = JSON.parse(process.argv[2]);
const log = (msg) => process.stderr.write(`    [${cfg.label}] ${msg}\n`);
const result = { label: cfg.label, n: cfg.n, errors: [], groups: [] };
const finish = (code) => {
  writeFileSync(cfg.out, JSON.stringify(result, null, 2));
  process.exit(code);
};
setTimeout(() => {
  result.errors.push(`watchdog: the run exceeded its budget of ${cfg.budgetMs} ms`);
  finish(3);
}, cfg.budgetMs).unref();

const epochMs = nowMs();
const nowUs = () => (nowMs() - epochMs) * 1000;
const pub = new Publisher({ host: cfg.host, port: cfg.port, publish: cfg.publish, epochMs });
const published = []; // [seq, publish time in ms on nowMs()]

async function publishOne() {
  if (!pub.sock || pub.closed) await pub.connect(); // the hub closed the idle keep-alive connection
  const at = nowMs();
  published.push([pub.send(1), at]);
}

const groups = cfg.transports.map((name) => {
  const tally = new Tally(nowUs);
  const clients = TRANSPORTS[name].make({
    host: cfg.host,
    port: cfg.port,
    path: cfg.subscribePath,
    n: cfg.n,
    tally,
  });
  return { name, tally, clients };
});
const allClients = () => groups.flatMap((g) => g.clients.clients);
let tree = [cfg.serverPid];

function hubSample() {
  return {
    precise: cpuSecondsPrecise(tree),
    ticks: cpuSeconds(tree),
    io: ioChars(tree),
    cpus: cpuTimes(),
    loadgen: process.cpuUsage(),
  };
}

function windowFigures(g, start, a, b, phase, t0, t1) {
  const w = g.tally.endWindow(start);
  const cpu = (b.precise ?? b.ticks) - (a.precise ?? a.ticks);
  const lg = process.cpuUsage(a.loadgen);
  return {
    rate: phase.rate,
    leadS: phase.leadS,
    windowS: (t1 - t0) / 1000,
    updates: published.filter(([, at]) => at >= t0 && at < t1).length,
    ...w,
    serverCpuSeconds: cpu,
    serverCpuTickSeconds: b.ticks - a.ticks,
    serverCpuUsPerDelivery: w.deliveries > 0 ? (cpu / w.deliveries) * 1e6 : null,
    serverRead: b.io.read - a.io.read,
    serverWritten: b.io.written - a.io.written,
    serverCpuBusy: cfg.serverCpu === null ? null : busyShare(a.cpus, b.cpus, cfg.serverCpu),
    loadgenCpuSeconds: (lg.user + lg.system) / 1e6,
  };
}

async function runPhases() {
  let t = nowMs() + 200;
  const events = [];
  for (const [i, phase] of cfg.phases.entries()) {
    const start = t;
    const end = start + (phase.leadS + phase.windowS) * 1000;
    const slot = 1000 / phase.rate;
    for (let at = start + slot / 2; at < end; at += slot) events.push({ at, kind: 0 });
    events.push({ at: start + phase.leadS * 1000, kind: 1, i }, { at: end, kind: 2, i });
    t = end;
  }
  events.sort((x, y) => x.at - y.at || y.kind - x.kind); // a window closes before the next opens
  const open = new Map();
  for (const ev of events) {
    const wait = ev.at - nowMs();
    if (wait > 0) await sleep(wait);
    if (ev.kind === 0) await publishOne();
    else if (ev.kind === 1) {
      const starts = groups.map((g) => g.tally.startWindow());
      open.set(ev.i, { starts, hub: hubSample(), t0: nowMs() });
    } else {
      const hub = hubSample();
      const t1 = nowMs();
      const o = open.get(ev.i);
      const phase = cfg.phases[ev.i];
      groups.forEach((g, k) => {
        const f = windowFigures(g, o.starts[k], o.hub, hub, phase, o.t0, t1);
        g.phases.push(f);
        const p = f.perDelivery;
        log(
          `${g.name} at ${phase.rate}/s: ${f.deliveries} deliveries, per delivery ${p.bytesDown?.toFixed(0)} B down ` +
            `${p.bytesUp?.toFixed(0)} B up ${p.requests?.toFixed(3)} requests ${f.serverCpuUsPerDelivery?.toFixed(1)} µs hub CPU, ` +
            `p50/p99 ${f.latencyMs.p50?.toFixed(1)}/${f.latencyMs.p99?.toFixed(1)} ms`,
        );
      });
    }
  }
}

async function until(cond, capMs, everyMs = 50) {
  const deadline = performance.now() + capMs;
  while (!cond() && performance.now() < deadline) await sleep(everyMs);
  return cond();
}

try {
  await pub.connect();
  for (let i = 0; i < 5; i++) await publishOne(); // warms the publish path; history is not empty
  await until(() => pub.outstanding === 0, 5000);
  tree = processTree(cfg.serverPid);
  for (const g of groups) g.phases = [];
  const tc = performance.now();
  await Promise.all(groups.map((g) => g.clients.openAll(cfg.connectConcurrency)));
  for (const g of groups) {
    const c = g.clients;
    if (c.ready < cfg.n)
      throw new Error(`${g.name}: ${c.refused} of ${cfg.n} clients refused: ${c.firstRefusal}`);
  }
  // Publish until every client has had an update: every subscription is in place before measuring.
  const warm = () => allClients().every((c) => c.expect > 0);
  const deadline = performance.now() + cfg.warmupCapMs;
  while (!warm() && performance.now() < deadline) {
    await publishOne();
    await until(warm, 700);
  }
  if (!warm())
    throw new Error(`${allClients().filter((c) => c.expect === 0).length} clients got no warm-up update`);
  const connectSeconds = (performance.now() - tc) / 1000;
  log(`${groups.length * cfg.n} clients subscribed and warm in ${connectSeconds.toFixed(1)} s`);
  await sleep(500);
  await runPhases();
  const last = published.at(-1)[0];
  await until(() => groups.every((g) => g.tally.missing(g.clients.clients, last) === 0), cfg.drainCapMs, 100);
  for (const g of groups) {
    const c = g.clients;
    const t = g.tally;
    const missing = t.missing(c.clients, last);
    result.groups.push({
      transport: g.name,
      n: cfg.n,
      ready: c.ready,
      connectSeconds,
      published: published.length,
      lost: t.lost + missing,
      duplicates: t.duplicates,
      closed: c.closed,
      retries: c.retries ?? 0,
      clientErrors: t.errors,
      firstClientError: t.firstError,
      phases: g.phases,
    });
    if (t.lost + missing + t.duplicates + c.closed > 0)
      result.errors.push(
        `${g.name}: lost ${t.lost + missing}, duplicates ${t.duplicates}, streams closed ${c.closed}`,
      );
  }
  if (pub.errors > 0) result.errors.push(`${pub.errors} publish errors: ${pub.firstError}`);
  for (const g of groups) g.clients.close();
  pub.close();
  finish(0);
} catch (e) {
  result.errors.push(String(e?.message ?? e));
  log(`error: ${e?.message ?? e}`);
  finish(2);
}
