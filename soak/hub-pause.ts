import type { HubPauseSpec } from './soak-options.js';

/** One pause as it happened: soak clock times (ms, `performance.now()`), undefined until reached. */
export interface PauseWindow extends HubPauseSpec {
  stoppedAt: number | undefined;
  resumedAt: number | undefined;
}

/**
 * The `--pause-hub` fault: SIGSTOP the hub at given times after publishing starts, SIGCONT it a
 * given time later. While it is stopped the kernel still accepts connections into the listen
 * backlog and buffers requests, lifetime timers come due, nothing is answered; on SIGCONT it all
 * lands at once. Also answers "was the hub stopped then?" for the checks that must not blame the
 * hub for the time it was not allowed to run.
 */
export class HubPauses {
  readonly windows: readonly PauseWindow[];
  readonly #signal: (signal: 'SIGSTOP' | 'SIGCONT') => boolean;
  readonly #now: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** A stop that came due while the previous pause was still on: it starts at that SIGCONT. */
  #deferred: (() => void) | undefined;
  /** Called right after each SIGCONT, with the pause's index. */
  onResume: (index: number) => void = () => {};
  /** Called right after each SIGSTOP, with the pause's index. */
  onStop: (index: number) => void = () => {};

  /** `signal` sends a signal to the hub; false when it is gone. */
  constructor(
    signal: (signal: 'SIGSTOP' | 'SIGCONT') => boolean,
    specs: readonly HubPauseSpec[],
    now: () => number,
  ) {
    this.#signal = signal;
    this.#now = now;
    this.windows = specs.map((s) => ({ ...s, stoppedAt: undefined, resumedAt: undefined }));
  }

  /** Schedules every pause relative to `t0` (when publishing started). */
  schedule(t0: number): void {
    for (const [i, w] of this.windows.entries()) {
      const stop = () => {
        // Back-to-back pauses, and this process lagged: never let the previous SIGCONT end this one.
        if (this.stopped) {
          this.#deferred = stop;
          return;
        }
        if (!this.#signal('SIGSTOP')) return;
        w.stoppedAt = this.#now();
        // A series of short pauses (a duty cycle) would flood the output; the result file has them all.
        if (w.seconds >= 1)
          console.log(
            `soak: hub paused (SIGSTOP) at ${((w.stoppedAt - t0) / 1000).toFixed(1)} s for ${w.seconds} s`,
          );
        this.onStop(i);
        // From the actual stop, so the hub is stopped for the time asked even if this process lagged.
        this.#later(w.stoppedAt + w.seconds * 1000, () => this.#resume(i, t0));
      };
      this.#later(t0 + w.at * 1000, stop);
    }
  }

  /** The hub is stopped right now. */
  get stopped(): boolean {
    return this.windows.some((w) => w.stoppedAt !== undefined && w.resumedAt === undefined);
  }

  /** Milliseconds of [from, to] during which the hub was stopped (a pause still going counts up to `to`). */
  stoppedBetween(from: number, to: number): number {
    let total = 0;
    for (const w of this.windows) {
      if (w.stoppedAt === undefined) continue;
      const end = w.resumedAt ?? to;
      total += Math.max(0, Math.min(to, end) - Math.max(from, w.stoppedAt));
    }
    return total;
  }

  /** SIGCONT now if stopped, and cancel what is still to come (end of the run, errors). */
  cancel(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#deferred = undefined;
    for (const w of this.windows) {
      if (w.stoppedAt !== undefined && w.resumedAt === undefined) {
        this.#signal('SIGCONT');
        w.resumedAt = this.#now();
      }
    }
  }

  #resume(i: number, t0: number): void {
    const w = this.windows[i]!;
    this.#signal('SIGCONT');
    w.resumedAt = this.#now();
    if (w.seconds >= 1)
      console.log(`soak: hub resumed (SIGCONT) at ${((w.resumedAt - t0) / 1000).toFixed(1)} s`);
    this.onResume(i);
    const next = this.#deferred;
    this.#deferred = undefined;
    next?.();
  }

  #later(at: number, fn: () => void): void {
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        fn();
      },
      Math.max(0, at - this.#now()),
    );
    this.#timers.add(t);
  }
}
