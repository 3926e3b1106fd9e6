/**
 * Latencies in milliseconds, in fixed buckets: 0.1 ms wide up to 100 ms, 1 ms wide up to 10 s,
 * then one overflow bucket. Fixed memory whatever the event count, mergeable, exact max.
 */
export class LatencyHistogram {
  static readonly #FINE = 1000; // 0..100 ms by 0.1 ms
  static readonly #COARSE = 9900; // 100 ms..10 s by 1 ms
  readonly #counts = new Float64Array(LatencyHistogram.#FINE + LatencyHistogram.#COARSE + 1);
  #count = 0;
  #max = 0;

  record(ms: number): void {
    const v = Math.max(ms, 0);
    const i =
      v < 100
        ? Math.floor(v * 10)
        : Math.min(LatencyHistogram.#FINE + Math.floor(v - 100), this.#counts.length - 1);
    this.#counts[i]!++;
    this.#count++;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  /** Upper edge of the bucket holding the p-th percentile (0 when empty). */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        const edge = i < LatencyHistogram.#FINE ? (i + 1) / 10 : 100 + (i - LatencyHistogram.#FINE + 1);
        return Math.min(edge, this.#max);
      }
    }
    return this.#max;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#max = Math.max(this.#max, other.#max);
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
  }
}
