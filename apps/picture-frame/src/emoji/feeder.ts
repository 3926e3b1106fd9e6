/**
 * A stand-in for the stream of posts emojitracker read: emoji occurrences drawn from a Zipf-like
 * distribution (weight 1 / rank^s, the long tail real emoji use has), at a steady rate, with no
 * network. The ranks are shuffled once, so the popular emoji are scattered over the grid.
 */
export interface FeederOptions {
  /** How many emoji there are. */
  readonly count: number;
  /** Occurrences per second. Default 3,000. */
  readonly ratePerSecond?: number;
  /** Skew of the distribution (Zipf exponent). Default 1.1. */
  readonly skew?: number;
  /** Injected randomness (tests); default Math.random. */
  readonly random?: () => number;
}

/** Generates occurrences on a timer and hands them to `sink(index)`. */
export class EmojiFeeder {
  readonly #cumulative: Float64Array;
  readonly #rank: Uint16Array;
  readonly #random: () => number;
  readonly #perMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #carry = 0;
  readonly #sink: (index: number) => void;

  constructor(o: FeederOptions, sink: (index: number) => void) {
    this.#sink = sink;
    this.#random = o.random ?? Math.random;
    this.#perMs = (o.ratePerSecond ?? 3000) / 1000;
    const skew = o.skew ?? 1.1;
    this.#cumulative = new Float64Array(o.count);
    let total = 0;
    for (let r = 0; r < o.count; r++) {
      total += 1 / (r + 1) ** skew;
      this.#cumulative[r] = total;
    }
    for (let r = 0; r < o.count; r++) this.#cumulative[r]! /= total;
    // A fixed permutation (seeded by the injected random), so rank 1 is not the first cell.
    this.#rank = Uint16Array.from({ length: o.count }, (_, i) => i);
    for (let i = o.count - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [this.#rank[i], this.#rank[j]] = [this.#rank[j]!, this.#rank[i]!];
    }
  }

  /** One occurrence: the index of an emoji. */
  draw(): number {
    const x = this.#random();
    const c = this.#cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.#rank[lo]!;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => this.#run(), 10);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  #run(): void {
    const now = performance.now();
    // Elapsed time decides how many, so a late timer catches up instead of slowing the rate.
    const due = (now - this.#last) * this.#perMs + this.#carry;
    this.#last = now;
    const n = Math.floor(due);
    this.#carry = due - n;
    for (let i = 0; i < n; i++) this.#sink(this.draw());
  }
}
