/** Small statistics for benchmark windows: medians and percentiles of raw samples. */

/** The q-quantile (0 ≤ q ≤ 1) of samples by linear interpolation between closest ranks. */
export function quantile(samples: readonly number[], q: number): number {
  if (!samples.length) throw new Error('quantile of no samples: run at least one timed window');
  const s = [...samples].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** Rounds for display and JSON: 3 significant digits below 100, integers above. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  return Number(x.toPrecision(3));
}
