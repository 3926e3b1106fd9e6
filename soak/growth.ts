/** Whether a resource grew during the run, judged on its samples (in time order). */
export interface Growth {
  /** Median of the first and second half of the samples kept (after warm-up). */
  readonly firstHalf: number;
  readonly secondHalf: number;
  /** Least-squares slope over the samples kept, per minute. */
  readonly slopePerMinute: number;
  /** Largest second-half median allowed: firstHalf * (1 + relative) + absolute. */
  readonly allowed: number;
  /** Samples judged (after warm-up); fewer than two judge nothing. */
  readonly samples: number;
  /** True when the second half sits above `allowed`, or when too few samples remain to tell. */
  readonly grew: boolean;
}

export interface GrowthTolerance {
  /** Share of the samples dropped at the start (heap and buffers warming up). */
  readonly warmup: number;
  readonly relative: number;
  readonly absolute: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Bounded means: after warm-up, the second half of the run sits at the level of the first half,
 * within a tolerance. A leak (memory, descriptors) moves the second half up in proportion to the
 * run's length; noise (GC, connections coming and going) does not.
 */
export function growth(
  samples: readonly { readonly t: number; readonly v: number }[],
  tol: GrowthTolerance,
): Growth {
  const kept = samples.slice(
    Math.min(Math.floor(samples.length * tol.warmup), Math.max(0, samples.length - 2)),
  );
  // Too few samples to compare two halves: "no growth" would be a verdict on no evidence.
  if (kept.length < 2)
    return {
      firstHalf: Number.NaN,
      secondHalf: Number.NaN,
      slopePerMinute: 0,
      allowed: 0,
      samples: kept.length,
      grew: true,
    };
  const half = kept.length >> 1;
  const firstHalf = median(kept.slice(0, half).map((s) => s.v));
  const secondHalf = median(kept.slice(kept.length - half).map((s) => s.v));
  const mt = kept.reduce((a, s) => a + s.t, 0) / kept.length;
  const mv = kept.reduce((a, s) => a + s.v, 0) / kept.length;
  let num = 0;
  let den = 0;
  for (const s of kept) {
    num += (s.t - mt) * (s.v - mv);
    den += (s.t - mt) ** 2;
  }
  const slopePerMinute = den === 0 ? 0 : (num / den) * 60_000;
  const allowed = firstHalf * (1 + tol.relative) + tol.absolute;
  return { firstHalf, secondHalf, slopePerMinute, allowed, samples: kept.length, grew: secondHalf > allowed };
}
