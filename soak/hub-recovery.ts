import { setTimeout as sleep } from 'node:timers/promises';
import type { HubPauses } from './hub-pause.js';
import { type HubProcess, metricValue } from './hub-process.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { ClientStats } from './soak-subscriber.js';

/** Recovery is judged over windows this long: one /metrics probe and the live deliveries of each. */
export const RECOVERY_WINDOW_MS = 1000;
/** A healthy hub answers /metrics within this. */
export const RECOVERY_METRICS_MS = 1000;

/** Gauges and a counter others add to the hub; read when present, n/a (null) otherwise. */
const REPLAYS_ACTIVE = 'tidings_replays_active';
const REPLAYS_WAITING = 'tidings_replays_waiting';
const REPLAYS_REFUSED = 'tidings_replays_refused_total';

/** One recovery window after a SIGCONT. */
export interface RecoveryWindow {
  /** End of the window, seconds after SIGCONT. */
  readonly t: number;
  /** How long /metrics took to answer; null: no answer within RECOVERY_METRICS_MS. */
  readonly metricsMs: number | null;
  /** Live delivery latency of honest subscribers during the window. */
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly count: number;
  /** Resumes waiting at the end of the window, and how long the oldest of them had waited. */
  readonly resumesWaiting: number;
  readonly oldestWaitMs: number;
  readonly replaysActive: number | null;
  readonly replaysWaiting: number | null;
  readonly healthy: boolean;
}

/** What one `--pause-hub` did, as recorded in the result JSON. */
export interface PauseReport {
  readonly at: number;
  readonly seconds: number;
  /** Seconds after publishing started (soak clock). */
  stoppedAtS: number | null;
  resumedAtS: number | null;
  /**
   * When this pause came before the previous one had recovered: the series it ends (`at` of its
   * first pause, how many). The storm figures below then count from the series' first SIGSTOP.
   */
  series: { from: number; pauses: number } | null;
  recovered: boolean;
  /** Seconds from SIGCONT to the end of the first healthy window; null when it never came. */
  recoveredAfterS: number | null;
  /** Why observing stopped: recovered, or what cut it short ('next pause': not judged). */
  endedBy: 'recovered' | 'deadline' | 'publishing stopped' | 'next pause' | 'hub exited' | 'not reached';
  /** Most resumes waiting at once from SIGSTOP to the end of observation (the storm). */
  resumesWaitingMax: number;
  /** Resumes answered `Last-Event-ID: earliest` from SIGSTOP to the end of observation. */
  expiredResumes: number;
  /** Requests that waited 30 s for a response head, gave up and reconnected, over the same time. */
  headTimeouts: number;
  replaysActiveMax: number | null;
  replaysWaitingMax: number | null;
  /** Increase of tidings_replays_refused_total from before SIGSTOP to the end of observation. */
  replaysRefused: number | null;
  /** Sampler scrapes of /metrics that timed out while the hub was stopped or recovering. */
  excusedMetricsTimeouts: number;
  windows: RecoveryWindow[];
}

/** Counts at a pause's (or its series') first SIGSTOP, to report the storm's share. */
interface Baseline {
  readonly expired: number;
  readonly headTimeouts: number;
  readonly refused: number | undefined;
}

/**
 * After each SIGCONT of `--pause-hub`, measures how long the hub takes to be healthy again: in
 * consecutive windows of RECOVERY_WINDOW_MS, /metrics answers within RECOVERY_METRICS_MS and the
 * live delivery latency p99 of honest subscribers is at most `recoveredP99Ms` (at least one
 * delivery). "Recovered after X s" is the end of the first such window. Also keeps the storm's
 * figures, and tells the sampler which of its /metrics timeouts are the pause's doing.
 */
export class HubRecovery {
  readonly reports: PauseReport[];
  /** The windows being observed (one per pause under observation). */
  readonly #windows = new Set<LatencyHistogram>();
  readonly #hub: HubProcess;
  readonly #pauses: HubPauses;
  readonly #stats: ClientStats;
  readonly #now: () => number;
  readonly #recoveredP99Ms: number;
  readonly #recoverWithinMs: number;
  /** False once publishing stopped: live latency means nothing after that. */
  readonly #publishing: () => boolean;
  readonly #observers: Promise<void>[] = [];
  /** Per pause: when it recovered, and when its observation ended (soak clock). */
  readonly #recoveredAt: (number | undefined)[];
  readonly #observedUntil: (number | undefined)[];
  readonly #baselines: Baseline[] = [];
  /** Replay metrics as last scraped while the hub was running (the counter's baseline). */
  #lastMetrics: ReadonlyMap<string, number> = new Map();
  #t0 = 0;

  constructor(init: {
    hub: HubProcess;
    pauses: HubPauses;
    stats: ClientStats;
    now: () => number;
    recoveredP99Ms: number;
    recoverWithinSeconds: number;
    publishing: () => boolean;
  }) {
    this.#hub = init.hub;
    this.#pauses = init.pauses;
    this.#stats = init.stats;
    this.#now = init.now;
    this.#recoveredP99Ms = init.recoveredP99Ms;
    this.#recoverWithinMs = init.recoverWithinSeconds * 1000;
    this.#publishing = init.publishing;
    const n = init.pauses.windows.length;
    this.#recoveredAt = new Array<number | undefined>(n).fill(undefined);
    this.#observedUntil = new Array<number | undefined>(n).fill(undefined);
    this.reports = init.pauses.windows.map((w) => ({
      at: w.at,
      seconds: w.seconds,
      stoppedAtS: null,
      resumedAtS: null,
      series: null,
      recovered: false,
      recoveredAfterS: null,
      endedBy: 'not reached',
      resumesWaitingMax: 0,
      expiredResumes: 0,
      headTimeouts: 0,
      replaysActiveMax: null,
      replaysWaitingMax: null,
      replaysRefused: null,
      excusedMetricsTimeouts: 0,
      windows: [],
    }));
    init.pauses.onStop = (i) => this.#onStop(i);
    init.pauses.onResume = (i) => this.#observers.push(this.#observe(i));
  }

  /** Every honest live delivery (publish sent to event parsed, ms). */
  record(ms: number): void {
    for (const h of this.#windows) h.record(ms);
  }

  /** Publishing started at `t0`: the pauses are scheduled from it. */
  start(t0: number): void {
    this.#t0 = t0;
    this.#pauses.schedule(t0);
  }

  /** Every successful scrape of the sampler: baseline for the counter, peaks for the gauges. */
  noteMetrics(m: ReadonlyMap<string, number>): void {
    if (!this.#pauses.stopped) this.#lastMetrics = m;
    for (const [i, report] of this.reports.entries()) {
      if (report.stoppedAtS !== null && this.#observedUntil[i] === undefined) noteReplays(report, m);
    }
  }

  /**
   * A /metrics scrape of the sampler from `start` to `end` timed out: the pause's doing (not a
   * failure) if it overlapped a pause or the recovery after it, that is until the hub recovered
   * or the observation ended without recovery (--recover-within after SIGCONT, or the next
   * pause). Counted on that pause's report.
   */
  excuses(start: number, end: number): boolean {
    for (const [i, w] of this.#pauses.windows.entries()) {
      if (w.stoppedAt === undefined) continue;
      if (start <= (this.#graceEnd(i) ?? end) && end >= w.stoppedAt) {
        this.reports[i]!.excusedMetricsTimeouts++;
        return true;
      }
    }
    return false;
  }

  /** Whether the hub was stopped, or recovering from a pause, at some time of [from, to]. */
  state(from: number, to: number): 'stopped' | 'recovering' | null {
    if (this.#pauses.stoppedBetween(from, to) > 0) return 'stopped';
    for (const [i, w] of this.#pauses.windows.entries()) {
      if (w.resumedAt === undefined) continue;
      if (from <= (this.#graceEnd(i) ?? to) && to >= w.resumedAt) return 'recovering';
    }
    return null;
  }

  /** When the last pause's observation ended (soak clock); undefined when no pause happened. */
  calmSince(): number | undefined {
    let last: number | undefined;
    for (const t of this.#observedUntil) if (t !== undefined) last = Math.max(last ?? t, t);
    return last;
  }

  /** Waits for the observations under way (they end when publishing stops). */
  async settle(): Promise<void> {
    await Promise.all(this.#observers);
  }

  /**
   * Failures of the run due to pauses: no recovery in time. A pause followed by the next one
   * before it recovered is not judged: the series is, after its last pause.
   */
  failures(): string[] {
    const out: string[] = [];
    for (const r of this.reports) {
      if (r.stoppedAtS === null) out.push(`--pause-hub ${r.at}:${r.seconds} never happened`);
      else if (!r.recovered && r.endedBy !== 'next pause')
        out.push(
          `the hub did not recover within ${this.#recoverWithinMs / 1000} s of the pause at ${r.at} s (${r.endedBy}; last window: ${describeLast(r)})`,
        );
    }
    return out;
  }

  /** Until when pause `i` excuses the hub: recovery, or the end of observation; undefined while observed. */
  #graceEnd(i: number): number | undefined {
    return this.#recoveredAt[i] ?? this.#observedUntil[i];
  }

  #onStop(i: number): void {
    const w = this.#pauses.windows[i]!;
    const r = this.reports[i]!;
    r.stoppedAtS = round((w.stoppedAt! - this.#t0) / 1000);
    const prev = this.reports[i - 1];
    if (prev !== undefined && this.#observedUntil[i - 1] === undefined) {
      // The previous pause has not recovered: this one continues its storm (a series).
      r.series = { from: prev.series?.from ?? prev.at, pauses: (prev.series?.pauses ?? 1) + 1 };
      this.#baselines[i] = this.#baselines[i - 1]!;
      r.resumesWaitingMax = Math.max(prev.resumesWaitingMax, this.#stats.waitingPeakStorm);
      r.replaysActiveMax = prev.replaysActiveMax;
      r.replaysWaitingMax = prev.replaysWaitingMax;
      prev.resumesWaitingMax = r.resumesWaitingMax;
    } else {
      this.#baselines[i] = {
        expired: this.#stats.expired,
        headTimeouts: this.#stats.headTimeouts,
        refused: metricValue(this.#lastMetrics, REPLAYS_REFUSED),
      };
      this.#stats.waitingPeakStorm = this.#stats.resumesWaiting;
    }
  }

  async #observe(i: number): Promise<void> {
    const w = this.#pauses.windows[i]!;
    const r = this.reports[i]!;
    const resumedAt = w.resumedAt!;
    r.resumedAtS = round((resumedAt - this.#t0) / 1000);
    let refusedLast: number | undefined;
    const window = new LatencyHistogram();
    this.#windows.add(window);
    for (;;) {
      const start = this.#now();
      window.reset();
      const probe = this.#hub.metrics(RECOVERY_METRICS_MS).then(
        (m) => ({ m, ms: this.#now() - start }),
        () => undefined,
      );
      await sleep(RECOVERY_WINDOW_MS);
      const answer = await probe;
      const end = this.#now();
      if (answer !== undefined) {
        noteReplays(r, answer.m);
        refusedLast = metricValue(answer.m, REPLAYS_REFUSED) ?? refusedLast;
      }
      const metricsMs = answer !== undefined && answer.ms <= RECOVERY_METRICS_MS ? round(answer.ms) : null;
      const count = window.count;
      const p99Ms = round(window.percentile(99));
      const healthy = metricsMs !== null && count > 0 && p99Ms <= this.#recoveredP99Ms;
      r.windows.push({
        t: round((end - resumedAt) / 1000),
        metricsMs,
        p99Ms,
        maxMs: round(window.max),
        count,
        resumesWaiting: this.#stats.resumesWaiting,
        oldestWaitMs: Math.round(this.#stats.oldestWaitingMs(end)),
        replaysActive: answer === undefined ? null : (metricValue(answer.m, REPLAYS_ACTIVE) ?? null),
        replaysWaiting: answer === undefined ? null : (metricValue(answer.m, REPLAYS_WAITING) ?? null),
        healthy,
      });
      // The next pause began within this window: the two are one fault, judged after the last.
      const ended: PauseReport['endedBy'] | undefined = this.#pauses.windows.some(
        (v, j) => j > i && v.stoppedAt !== undefined,
      )
        ? 'next pause'
        : healthy
          ? 'recovered'
          : !this.#hub.alive
            ? 'hub exited'
            : !this.#publishing()
              ? 'publishing stopped'
              : end - resumedAt >= this.#recoverWithinMs
                ? 'deadline'
                : undefined;
      if (ended === undefined) continue;
      if (ended === 'recovered') {
        // A window ends a little after the deadline at times: healthy then is still too late.
        r.recovered = end - resumedAt <= this.#recoverWithinMs;
        r.recoveredAfterS = round((end - resumedAt) / 1000);
        this.#recoveredAt[i] = end;
      }
      r.endedBy = ended === 'recovered' && !r.recovered ? 'deadline' : ended;
      this.#observedUntil[i] = end;
      break;
    }
    this.#windows.delete(window);
    const base = this.#baselines[i]!;
    r.resumesWaitingMax = Math.max(r.resumesWaitingMax, this.#stats.waitingPeakStorm);
    r.expiredResumes = this.#stats.expired - base.expired;
    r.headTimeouts = this.#stats.headTimeouts - base.headTimeouts;
    if (refusedLast !== undefined) r.replaysRefused = refusedLast - (base.refused ?? 0);
    // A series of short pauses (a duty cycle) would print a line per pause: its last one speaks.
    if (r.endedBy === 'next pause') return;
    const what = `the pause at ${r.at} s for ${r.seconds} s${r.series === null ? '' : ` (last of ${r.series.pauses} from ${r.series.from} s)`}`;
    console.log(
      r.recovered
        ? `soak: hub recovered after ${r.recoveredAfterS?.toFixed(1)} s from ${what}: ${describeLast(r)}`
        : `soak: hub NOT recovered within ${this.#recoverWithinMs / 1000} s from ${what} (${r.endedBy}): ${describeLast(r)}`,
    );
    console.log(`soak:   storm: ${describeStorm(r)}`);
  }
}

function noteReplays(r: PauseReport, m: ReadonlyMap<string, number>): void {
  const active = metricValue(m, REPLAYS_ACTIVE);
  const waiting = metricValue(m, REPLAYS_WAITING);
  if (active !== undefined) r.replaysActiveMax = Math.max(r.replaysActiveMax ?? 0, active);
  if (waiting !== undefined) r.replaysWaitingMax = Math.max(r.replaysWaitingMax ?? 0, waiting);
}

/** The last window of a pause's observation, in words. */
export function describeLast(r: PauseReport): string {
  const w = r.windows.at(-1);
  if (w === undefined) return 'no window observed';
  return `/metrics ${w.metricsMs === null ? `> ${RECOVERY_METRICS_MS} ms` : `${w.metricsMs} ms`}, live p99 ${w.p99Ms} ms over ${w.count} deliveries, ${w.resumesWaiting} resumes waiting (oldest ${(w.oldestWaitMs / 1000).toFixed(1)} s)`;
}

/** The storm's figures, in words (n/a: the hub does not expose that metric). */
export function describeStorm(r: PauseReport): string {
  const na = (v: number | null) => (v === null ? 'n/a' : String(v));
  return `at most ${r.resumesWaitingMax} resumes waiting, ${r.expiredResumes} answered earliest, ${r.headTimeouts} gave up waiting for a head; replays active max ${na(r.replaysActiveMax)}, waiting max ${na(r.replaysWaitingMax)}, refused ${na(r.replaysRefused)}`;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
