// The load generator for one (server, N) run. Started pinned to its own CPU by bench/run.mjs:
//   node bench/loadgen/loadgen.mjs '<json config>'
// It opens N subscribers, measures the server's RSS with none and with N idle subscribers, then
// runs each publish phase ("rate": a fixed number of deliveries per second; "max": as fast as the
// server acknowledges, with a window of pipelined requests) and reads the server's CPU time from
// /proc right before the first publish and right after the last delivery. Publishing runs in a
// worker thread (publish-worker.mjs); this thread only reads. Writes its result as JSON to
// config.out. Bounded: every wait has a cap, and a watchdog ends the process.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import {
  busyShare,
  bytesWritten,
  cpuSeconds,
  cpuTimes,
  ksoftirqdPid,
  processTree,
  rssBytes,
} from '../lib/proc.mjs';
import { nowMs } from './clock.mjs';
import { H2Subscribers } from './h2-subscribers.mjs';
import { Subscribers } from './subscribers.mjs';

const cfg = JSON.parse(process.argv[2]);
const log = (msg) => process.stderr.write(`    [loadgen ${cfg.label}] ${msg}\n`);
const result = { label: cfg.label, n: cfg.n, idleOnly: Boolean(cfg.idleOnly), errors: [], phases: [] };

const watchdog = setTimeout(() => {
  result.errors.push(`watchdog: run exceeded its budget of ${cfg.budgetMs} ms`);
  finish(3);
}, cfg.budgetMs);
watchdog.unref();

function finish(code) {
  writeFileSync(cfg.out, JSON.stringify(result, null, 2));
  process.exit(code);
}

const epochMs = nowMs();
// The server's process tree (nginx: master and worker), taken once the server has answered.
let tree = [cfg.serverPid];
const softirqd = cfg.serverCpu === null ? [] : [ksoftirqdPid(cfg.serverCpu)].filter((p) => p !== null);

const worker = new Worker(new URL('./publish-worker.mjs', import.meta.url), {
  workerData: {
    host: cfg.host,
    port: cfg.port,
    publish: cfg.publish,
    epochMs,
    localAddress: cfg.localAddress,
  },
});
const calls = new Map();
let nextCall = 0;
let pubStats = { responses: 0, errors: 0, firstError: null, closed: false };
worker.on('message', (m) => {
  pubStats = m.stats;
  const call = calls.get(m.id);
  calls.delete(m.id);
  if (m.error) call?.reject(new Error(m.error));
  else call?.resolve(m);
});
worker.on('error', (e) => {
  result.errors.push(`publisher thread: ${e.message}`);
  finish(2);
});
/** Asks the publisher thread to do something and resolves with its answer. */
function rpc(cmd, args = {}) {
  return new Promise((resolve, reject) => {
    const id = nextCall++;
    calls.set(id, { resolve, reject });
    worker.postMessage({ id, cmd, ...args });
  });
}

// HTTP/2 (h2c) subscribers when the target asks for them, `h2StreamsPerConnection` per connection.
const subs = new (cfg.h2StreamsPerConnection ? H2Subscribers : Subscribers)({
  host: cfg.host,
  port: cfg.port,
  path: cfg.subscribePath,
  n: cfg.n,
  epochMs,
  localAddress: cfg.localAddress,
  perConnection: cfg.h2StreamsPerConnection,
  watchRate: cfg.maxRate !== undefined,
});

async function warmUp() {
  await rpc('ensure');
  // Publish until every subscriber has received at least one update: proves each subscription is
  // registered before anything is measured, whatever the server does between headers and that.
  const deadline = performance.now() + cfg.warmupCapMs;
  const want = subs.headersOk; // all N, except in an idle run where the server refused some
  while (subs.warmed < want && performance.now() < deadline && !pubStats.closed) {
    await rpc('send', { count: 1 });
    await sleep(100);
  }
  await rpc('answered', { capMs: 5000 });
  if (subs.warmed < want) {
    throw new Error(
      `only ${subs.warmed} of ${want} subscribers got a warm-up update (${subs.headersOk} answered 200, ` +
        `${subs.closed} closed; publisher ${pubStats.closed ? 'closed' : 'open'}, ${pubStats.responses} answers, ` +
        `${pubStats.errors} errors${pubStats.firstError ? `: ${pubStats.firstError}` : ''})`,
    );
  }
  await sleep(300); // late warm-up deliveries land before the first phase starts
}

// Read batching: sleep `ms` at the end of each event-loop turn of this (reading) thread while a
// phase runs, so that each socket read picks up several events: fewer read syscalls, wake-ups and
// ACKs per delivery. Publishing is on its own thread and keeps its pace. Latencies read up to
// `ms` high, so run.mjs uses it for the unthrottled phase only.
const napCell = new Int32Array(new SharedArrayBuffer(4));
function startNapping(ms) {
  if (!(ms > 0)) return () => {};
  let on = true;
  const nap = () => {
    if (!on) return;
    Atomics.wait(napCell, 0, 0, ms);
    setImmediate(nap);
  };
  setImmediate(nap);
  return () => {
    on = false;
  };
}

async function runPhase(phase) {
  const n = cfg.n;
  const { stats } = await rpc('ensure');
  const first = stats.nextSeq;
  subs.startPhase(first);
  const stopNapping = startNapping(phase.readNapMs);
  const lg0 = process.cpuUsage();
  const cpus0 = cpuTimes();
  const softirq0 = cpuSeconds(softirqd);
  const cpu0 = cpuSeconds(tree);
  const sys0 = cpuSeconds(tree, 'system');
  const written0 = bytesWritten(tree);
  const t0 = nowMs();

  const r = await rpc('run', { phase, n });
  if (r.first !== first) throw new Error(`publisher started at ${r.first}, expected ${first}`);
  const published = r.last - r.first + 1;
  const expected = published * n;
  const timedOut = await subs.waitFor(expected, phase.idleCapMs, phase.drainCapMs);
  stopNapping();
  const t1 = nowMs();
  const cpus1 = cpuTimes();
  const softirq1 = cpuSeconds(softirqd);
  const cpu1 = cpuSeconds(tree);
  const sys1 = cpuSeconds(tree, 'system');
  const written1 = bytesWritten(tree);
  const lg = process.cpuUsage(lg0);
  subs.finishPhase(r.last);
  const ticked = subs.watchRate ? subs.superseded(r.last) : null;

  const wall = (t1 - t0) / 1000;
  const deliverWall = Math.max(subs.lastDeliveryMs - (t0 - epochMs), 1) / 1000;
  const serverCpu = cpu1 - cpu0;
  const loadgenCpu = (lg.user + lg.system) / 1e6;
  const delivered = subs.delivered;
  const us = (v) => (v === null ? null : Math.round(v));
  return {
    kind: phase.kind,
    durationMs: phase.durationMs,
    targetDeliveriesPerSec: phase.kind === 'rate' ? phase.deliveriesPerSec : null,
    window: phase.kind === 'max' ? phase.window : null,
    readNapMs: phase.readNapMs ?? 0,
    published,
    publishesPerSec: published / deliverWall,
    skippedBehind: r.behind,
    expected,
    delivered,
    deliveriesPerSec: delivered / deliverWall,
    lost: subs.lost,
    outOfOrder: subs.outOfOrder,
    subscribersClosed: subs.closed,
    publishErrors: r.stats.errors,
    firstPublishError: r.stats.firstError,
    publishAnswered: r.answered,
    drainTimedOut: timedOut,
    // With a maximum rate (cfg.maxRate): the most events one subscriber received in one second, and
    // the shortest gap between two (null without; Subscribers.noteRate).
    maxEventsPerSubscriberSecond: subs.watchRate ? subs.maxPerSecond : null,
    minEventGapUs: subs.watchRate && Number.isFinite(subs.minGapUs) ? Math.round(subs.minGapUs) : null,
    latencyUs: { p50: us(subs.hist.quantile(0.5)), p99: us(subs.hist.quantile(0.99)), max: subs.hist.maxUs },
    // With a maximum rate: the latency of values superseded before their tick (an upper bound of
    // tick-to-receipt; Subscribers.superseded), and how many deliveries of the last value it leaves out.
    tickLatencyUs:
      ticked === null
        ? null
        : {
            p50: us(ticked.hist.quantile(0.5)),
            p99: us(ticked.hist.quantile(0.99)),
            max: ticked.hist.maxUs,
            deliveries: ticked.hist.total,
            lastValueDeliveries: ticked.finals,
          },
    wallSeconds: wall,
    serverCpuSeconds: serverCpu,
    serverSystemCpuSeconds: sys1 - sys0,
    serverCpuUtil: serverCpu / wall,
    serverBytesWritten: written1 - written0,
    serverCpuUsPerPublish: published > 0 ? (serverCpu / published) * 1e6 : null,
    serverCpuSecondsPerMillion: delivered > 0 ? (serverCpu / delivered) * 1e6 : null,
    // How busy the two CPUs were in all, whoever ran there: the server's CPU minus the server's own
    // share is other load (another program, or interrupts), which makes a run noisy.
    serverCpuBusy: cfg.serverCpu === null ? null : busyShare(cpus0, cpus1, cfg.serverCpu),
    // Network work the kernel deferred to ksoftirqd on the server's CPU is not in the server's time.
    serverCpuKsoftirqdSeconds: softirq1 - softirq0,
    loadgenCpuBusy: cfg.loadgenCpu === null ? null : busyShare(cpus0, cpus1, cfg.loadgenCpu),
    loadgenCpuSeconds: loadgenCpu,
    loadgenSystemCpuSeconds: lg.system / 1e6,
    deliveriesPerRead: subs.reads > 0 ? delivered / subs.reads : null,
    loadgenCpuUtil: loadgenCpu / wall,
    loadgenCpuSecondsPerMillion: delivered > 0 ? (loadgenCpu / delivered) * 1e6 : null,
  };
}

try {
  await rpc('ensure');
  // JIT-warm the publish path with no subscriber, then take the empty RSS.
  await rpc('send', { count: 20 });
  await rpc('answered', { capMs: 5000 });
  tree = processTree(cfg.serverPid);
  result.serverPids = tree;
  await sleep(cfg.settleMs);
  result.rssEmptyBytes = rssBytes(tree);

  const tc = performance.now();
  await subs.connectAll(cfg.connectConcurrency);
  const headDeadline = performance.now() + cfg.warmupCapMs;
  while (subs.headersOk + subs.headersBad < cfg.n && performance.now() < headDeadline) await sleep(20);
  if (subs.headersBad > 0) {
    const why = `${subs.headersBad} of ${cfg.n} subscribers refused: ${subs.firstBadHead.split('\r\n')[0]} ${
      /"code":"([^"]+)"/.exec(subs.firstBadHead)?.[1] ?? ''
    }`;
    // A publish run needs all N. An idle run still measures memory on the streams the server took
    // (a hub may keep descriptors in reserve below ulimit -n), and says so.
    if (!cfg.idleOnly || subs.headersOk === 0) throw new Error(why);
    result.warnings = [`${why}: measured on the ${subs.headersOk} accepted`];
    log(result.warnings[0]);
  }
  result.accepted = subs.headersOk;
  await warmUp();
  result.connectSeconds = (performance.now() - tc) / 1000;
  log(`${subs.headersOk} subscribers connected and warm in ${result.connectSeconds.toFixed(1)} s`);
  await sleep(cfg.settleMs);
  result.rssIdleBytes = rssBytes(tree);
  result.rssPerIdleSubscriberBytes = (result.rssIdleBytes - result.rssEmptyBytes) / subs.headersOk;

  if (!cfg.idleOnly) {
    for (const phase of cfg.phases) {
      const r = await runPhase(phase);
      result.phases.push(r);
      const lat = r.latencyUs;
      log(
        `${phase.kind}: ${Math.round(r.deliveriesPerSec)} deliveries/s, server ${r.serverCpuSecondsPerMillion?.toFixed(2)} ` +
          `CPU-s/M (${(r.serverCpuUtil * 100).toFixed(0)} % of a core), loadgen ${(r.loadgenCpuUtil * 100).toFixed(0)} %, ` +
          `p50/p99/max ${lat.p50}/${lat.p99}/${lat.max} µs, lost ${r.lost}, out of order ${r.outOfOrder}` +
          (r.maxEventsPerSubscriberSecond === null
            ? ''
            : `, busiest subscriber second ${r.maxEventsPerSubscriberSecond} events, shortest gap ${r.minEventGapUs} µs` +
              `, tick-to-receipt p50/p99/max ${r.tickLatencyUs.p50}/${r.tickLatencyUs.p99}/${r.tickLatencyUs.max} µs` +
              ` (${r.tickLatencyUs.lastValueDeliveries} deliveries of the last value apart)`) +
          (r.publishErrors > 0 ? `, ${r.publishErrors} publish errors: ${r.firstPublishError}` : ''),
      );
      await sleep(300);
    }
  }
  result.rssAfterBytes = rssBytes(tree);
  result.subscribersClosed = subs.closed;
  finish(0);
} catch (e) {
  result.errors.push(String(e?.message ?? e));
  log(`error: ${e?.message ?? e}`);
  finish(2);
}
