// Log-linear latency histogram in microseconds: 16 sub-buckets per power of two (about 6 %
// resolution), integer arithmetic only, so recording costs a few nanoseconds per delivery.
const SUB = 16;
const SIZE = SUB + 28 * SUB;

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.total = 0;
    this.maxUs = 0;
  }

  record(us) {
    const v = us < 0 ? 0 : us > 0x3fffffff ? 0x3fffffff : us | 0;
    if (v > this.maxUs) this.maxUs = v;
    this.counts[bucketOf(v)]++;
    this.total++;
  }

  /** The value below which a fraction q of the samples lie (bucket midpoint), in microseconds. */
  quantile(q) {
    if (this.total === 0) return null;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(midpointOf(i), this.maxUs);
    }
    return this.maxUs;
  }
}

function bucketOf(v) {
  if (v < SUB) return v;
  const b = 31 - Math.clz32(v); // floor(log2 v) >= 4
  return SUB + (b - 4) * SUB + ((v >>> (b - 4)) & (SUB - 1));
}

function midpointOf(i) {
  if (i < SUB) return i;
  const b = ((i - SUB) >> 4) + 4;
  const m = (i - SUB) & (SUB - 1);
  const lo = (SUB + m) << (b - 4);
  const width = 1 << (b - 4);
  return lo + width / 2;
}
