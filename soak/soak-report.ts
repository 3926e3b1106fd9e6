import type { Growth } from './growth.js';
import { describeStorm, type PauseReport } from './hub-recovery.js';
import type { Violation } from './sequence-check.js';
import type { SoakOptions } from './soak-options.js';
import type { SubscriberKind } from './soak-subscriber.js';

/** One sample: the hub's process and /metrics, the clients' view of the last interval. */
export interface Sample {
  /** ms since publishing started. */
  readonly t: number;
  readonly phase: 'publishing' | 'quiesce';
  /** `--pause-hub`: the hub was stopped during the interval, or had not recovered yet; null otherwise. */
  readonly pause: 'stopped' | 'recovering' | null;
  /** How long /metrics took; null when it timed out (10 s): the /metrics figures below are then 0. */
  readonly metricsMs: number | null;
  readonly rssMB: number;
  readonly rssAnonMB: number;
  readonly heapMB: number;
  readonly fds: number;
  readonly cpuPct: number;
  readonly loopP50Ms: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** Live delivery latency of honest subscribers over the interval. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly latencyCount: number;
  readonly publishP99Ms: number;
  readonly subscribers: number;
  readonly clientSockets: number;
  /** Resumes of honest and churn subscribers not served yet: now, and most at once in the interval. */
  readonly resumesWaiting: number;
  readonly resumesWaitingMax: number;
  /** tidings_replays_active, _waiting, _refused_total when the hub exposes them, else null. */
  readonly replaysActive: number | null;
  readonly replaysWaiting: number | null;
  readonly replaysRefused: number | null;
  readonly eventsPerSecond: number;
  /** Cumulative drops by the hub, by reason. */
  readonly dropped: {
    readonly slow_consumer: number;
    readonly write_timeout: number;
    readonly lifetime: number;
  };
  readonly acked: number;
  /** The load generator's own event-loop delay: when high, latencies are partly the client's. */
  readonly clientLoopP99Ms: number;
  /** The machine's 1-minute load average: other work on a shared machine shows up here. */
  readonly load1: number;
  /** CPU used by the soak's own process (subscribers, publisher, checks). */
  readonly clientCpuPct: number;
}

export interface SoakResult {
  readonly pass: boolean;
  readonly failures: readonly string[];
  readonly startedAt: string;
  readonly options: SoakOptions;
  readonly hubArgs: readonly string[];
  readonly machine: { readonly node: string; readonly cpus: number };
  readonly git: { readonly head: string; readonly modified: readonly string[] };
  readonly subscribers: Record<SubscriberKind, number>;
  readonly idle: { readonly rssMB: number; readonly fds: number };
  readonly afterClose: { readonly rssMB: number; readonly fds: number; readonly subscribers: number };
  /** Growth is judged on the publishing samples from this time (ms), after the last pause's recovery. */
  readonly growthFromMs: number;
  readonly rss: Growth;
  readonly fds: Growth;
  readonly latency: {
    readonly count: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly p999Ms: number;
    readonly maxMs: number;
  };
  readonly publish: {
    readonly acked: number;
    readonly failed: number;
    readonly failures: Record<string, number>;
    /** Unanswered while the hub was stopped by `--pause-hub` (in `failed`, not held against the run). */
    readonly failuresAcrossPause: Record<string, number>;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly worstScheduleLagMs: number;
  };
  readonly clients: {
    readonly connects: number;
    readonly gracefulEnds: number;
    readonly resets: number;
    readonly clientCloses: number;
    readonly refused: Record<string, number>;
    readonly headTimeouts: number;
    readonly expiredResumes: number;
    readonly expiredSlowResumes: number;
    readonly expiredGaps: number;
    readonly events: number;
  };
  readonly losses: Record<string, number>;
  readonly violationExamples: readonly (Violation & { readonly subscriber: string })[];
  readonly quiesceMs: number;
  /** /metrics scrapes of the sampler that timed out: failures, and those excused by a pause. */
  readonly metricsTimeouts: { readonly failures: number; readonly excused: number };
  /** One per `--pause-hub`: when, recovered after how long, the storm's figures, every window. */
  readonly pauses: readonly PauseReport[];
  readonly hubLog: { readonly levels: Record<string, number>; readonly notable: readonly string[] };
  readonly samples: readonly Sample[];
}

const COLUMNS: [string, number, (s: Sample) => string][] = [
  [
    't(s)',
    6,
    (s) =>
      `${Math.round(s.t / 1000)}${s.phase === 'quiesce' ? 'q' : ''}${s.pause === 'stopped' ? 'P' : s.pause === 'recovering' ? 'R' : ''}`,
  ],
  ['rss MB', 7, (s) => s.rssMB.toFixed(0)],
  ['anon', 5, (s) => s.rssAnonMB.toFixed(0)],
  ['heap', 5, (s) => s.heapMB.toFixed(0)],
  ['fds', 6, (s) => String(s.fds)],
  ['cpu%', 5, (s) => String(s.cpuPct)],
  ['loop p99', 9, (s) => s.loopP99Ms.toFixed(1)],
  ['loop max', 9, (s) => s.loopMaxMs.toFixed(1)],
  ['lat p50', 8, (s) => s.latencyP50Ms.toFixed(1)],
  ['lat p99', 8, (s) => s.latencyP99Ms.toFixed(1)],
  ['lat max', 8, (s) => s.latencyMaxMs.toFixed(0)],
  ['pub p99', 8, (s) => s.publishP99Ms.toFixed(1)],
  ['subs', 6, (s) => String(s.subscribers)],
  ['resW', 5, (s) => String(s.resumesWaitingMax)],
  [
    'rpl a/w/x',
    10,
    (s) =>
      s.replaysActive === null && s.replaysWaiting === null && s.replaysRefused === null
        ? 'n/a'
        : [s.replaysActive, s.replaysWaiting, s.replaysRefused].map((v) => v ?? '-').join('/'),
  ],
  ['ev/s', 7, (s) => String(s.eventsPerSecond)],
  ['slow', 5, (s) => String(s.dropped.slow_consumer)],
  ['wtime', 6, (s) => String(s.dropped.write_timeout)],
  ['life', 6, (s) => String(s.dropped.lifetime)],
  ['cli p99', 8, (s) => s.clientLoopP99Ms.toFixed(0)],
  ['cli%', 5, (s) => String(s.clientCpuPct)],
  ['load', 5, (s) => s.load1.toFixed(1)],
];

export function printSample(s: Sample, header: boolean): void {
  if (header) console.log(COLUMNS.map(([name, w]) => name.padStart(w)).join(' '));
  console.log(COLUMNS.map(([, w, f]) => f(s).padStart(w)).join(' '));
}

/** The figures docs/soak.md quotes. */
export function printSummary(r: SoakResult): void {
  const pub = r.samples.filter((s) => s.phase === 'publishing');
  const first = pub[0];
  const last = pub.at(-1);
  const max = (f: (s: Sample) => number) => Math.max(...pub.map(f));
  const rows: [string, string][] = [
    [
      'subscribers',
      Object.entries(r.subscribers)
        .map(([k, n]) => `${n} ${k}`)
        .join(', '),
    ],
    [
      'publishes acknowledged / failed (of which unanswered across a pause)',
      `${r.publish.acked} / ${r.publish.failed} (${Object.values(r.publish.failuresAcrossPause).reduce((a, b) => a + b, 0)})`,
    ],
    [
      'hub RSS MB: idle, first sample, last, max',
      `${r.idle.rssMB}, ${first?.rssMB}, ${last?.rssMB}, ${max((s) => s.rssMB)}`,
    ],
    [
      `hub RSS MB: 1st half vs 2nd half median (allowed)${r.growthFromMs > 0 ? `, from ${Math.round(r.growthFromMs / 1000)} s` : ''}`,
      `${r.rss.firstHalf} vs ${r.rss.secondHalf} (${r.rss.allowed.toFixed(0)}), slope ${r.rss.slopePerMinute.toFixed(1)} MB/min`,
    ],
    [
      'hub fds: idle, first, last, max, after close',
      `${r.idle.fds}, ${first?.fds}, ${last?.fds}, ${max((s) => s.fds)}, ${r.afterClose.fds}`,
    ],
    [
      'hub fds: 1st half vs 2nd half median (allowed)',
      `${r.fds.firstHalf} vs ${r.fds.secondHalf} (${r.fds.allowed.toFixed(0)})`,
    ],
    ['hub CPU % (mean)', (pub.reduce((a, s) => a + s.cpuPct, 0) / Math.max(1, pub.length)).toFixed(0)],
    ['event-loop delay ms: worst p99, worst max', `${max((s) => s.loopP99Ms)}, ${max((s) => s.loopMaxMs)}`],
    [
      'delivery latency ms (honest, live): p50, p99, p99.9, max',
      `${r.latency.p50Ms}, ${r.latency.p99Ms}, ${r.latency.p999Ms}, ${r.latency.maxMs} (${r.latency.count} events)`,
    ],
    ['publish round trip ms: p50, p99, max', `${r.publish.p50Ms}, ${r.publish.p99Ms}, ${r.publish.maxMs}`],
    [
      'dropped by the hub: slow_consumer, write_timeout, lifetime',
      last === undefined
        ? '-'
        : `${r.samples.at(-1)?.dropped.slow_consumer}, ${r.samples.at(-1)?.dropped.write_timeout}, ${r.samples.at(-1)?.dropped.lifetime}`,
    ],
    [
      'client connections, hub ends: chunked terminator / connection close, own closes',
      `${r.clients.connects}, ${r.clients.gracefulEnds}, ${r.clients.resets}, ${r.clients.clientCloses}`,
    ],
    [
      'lost/duplicated/reordered: honest, slow, churn',
      `${r.losses.honest}, ${r.losses.slow}, ${r.losses.churn}`,
    ],
    [
      'resumes past history (answered earliest): honest and churn, slow; updates missed so',
      `${r.clients.expiredResumes}, ${r.clients.expiredSlowResumes ?? 0}; ${r.clients.expiredGaps}`,
    ],
    ['caught up after publishing stopped in', `${(r.quiesceMs / 1000).toFixed(1)} s`],
    [
      '/metrics timeouts: failures, excused by a pause',
      `${r.metricsTimeouts.failures}, ${r.metricsTimeouts.excused}`,
    ],
  ];
  // A pause followed by the next before it recovered is reported with the series' last pause.
  for (const p of r.pauses.filter((q) => q.endedBy !== 'next pause')) {
    const series = p.series === null ? '' : ` (last of ${p.series.pauses} from ${p.series.from} s)`;
    rows.push([
      `pause at ${p.at} s for ${p.seconds} s${series}`,
      p.recovered
        ? `recovered after ${p.recoveredAfterS?.toFixed(1)} s`
        : `NOT recovered (${p.endedBy}${p.recoveredAfterS === null ? '' : `, healthy after ${p.recoveredAfterS.toFixed(1)} s`})`,
    ]);
    rows.push(['  storm', describeStorm(p)]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}
