import { DEFAULT_TICKER_RATE, TICKER_RATES } from './ticker-rate.js';

/** Publishes one tick's data on the ticker topic (into history: polls resume from it). */
export type TickPublish = (data: string) => Promise<string>;

/** What one tick carries: the page computes latency as its receive time minus `t`. */
export interface Tick {
  /** 1, 2, 3… since the process started. */
  readonly n: number;
  /** Publish time, ms since the epoch (Date.now(), the clock a page on this machine reads too). */
  readonly t: number;
  /** The rate at the time, so every page shows the rate someone picked. */
  readonly rate: number;
}

export interface TickerOptions {
  readonly publish: TickPublish;
  /** Updates per second, one of TICKER_RATES. Default 1. */
  readonly rate?: number;
  /** Injected clock (ms since the epoch). Default Date.now. */
  readonly now?: () => number;
  /** Injected randomness: where in its slot each tick falls. Default Math.random. */
  readonly random?: () => number;
  readonly onError?: (err: unknown) => void;
}

/**
 * A steady ticker: exactly one update in every slot of 1/rate seconds, at a random point of the
 * slot. The rate is steady; the moments are not, as real updates' are not: a poll on a fixed
 * schedule against ticks on a fixed grid would see every tick at the same point of its interval,
 * and show one latency, its phase, instead of the spread from 0 to the interval that polling
 * gives. Slots follow a deadline grid (a late timer does not drift the rate), one publish at a
 * time (a slow store delays ticks, never piles them up).
 */
export class Ticker {
  readonly #publish: TickPublish;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #random: () => number;
  #rate: number;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  /** Where the current slot starts (performance.now() time). */
  #slot = 0;
  /** When the last tick fired (performance.now() time). */
  #lastTick = Number.NEGATIVE_INFINITY;
  #n = 0;
  /** A tick is publishing: it schedules the next one when done. */
  #busy = false;
  /** Ticks published so far. */
  published = 0;

  constructor(o: TickerOptions) {
    this.#publish = o.publish;
    this.#now = o.now ?? Date.now;
    this.#onError = o.onError ?? (() => {});
    this.#random = o.random ?? Math.random;
    this.#rate = checked(o.rate ?? DEFAULT_TICKER_RATE);
  }

  get rate(): number {
    return this.#rate;
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * A new rate (validated by parseTickerRate first) starts a new grid at once, but its first tick
   * comes at least a new period after the last one: however often the rate is changed (it is
   * anyone's to change), ticks never come faster than the largest rate.
   */
  setRate(rate: number): void {
    if (checked(rate) === this.#rate) return;
    this.#rate = rate;
    this.#newGrid();
    this.#reschedule();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#newGrid();
    this.#reschedule();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #newGrid(): void {
    this.#slot = Math.max(performance.now(), this.#lastTick + 1000 / this.#rate);
  }

  #reschedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A tick still publishing schedules the next one itself when it is done.
    if (!this.#running || this.#busy) return;
    const at = this.#slot + this.#random() * (1000 / this.#rate);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, at - performance.now()));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#lastTick = performance.now();
    const tick: Tick = { n: ++this.#n, t: this.#now(), rate: this.#rate };
    this.#busy = true;
    try {
      await this.#publish(JSON.stringify(tick));
      this.published++;
    } catch (err) {
      this.#onError(err);
    } finally {
      this.#busy = false;
    }
    // The next slot on the grid: a late timer does not drift the rate. After a long stall (a slow
    // store, a suspended laptop) a fresh grid starts rather than a burst of the missed ticks.
    this.#slot = Math.max(this.#slot + 1000 / this.#rate, performance.now());
    this.#reschedule();
  }
}

function checked(rate: number): number {
  if (!TICKER_RATES.includes(rate))
    throw new RangeError(`ticker rate ${rate} is not one of ${TICKER_RATES.join(', ')}`);
  return rate;
}
