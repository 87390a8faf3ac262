/**
 * Learning-rate schedule: linear warmup, then linear / cosine decay to 0 (or constant), as in Hugging
 * Face's get_{linear,cosine}_schedule_with_warmup. The schedule is expressed over training *progress*
 * p in [0, 1] so that it can follow a step count or a wall-clock budget:
 *   step plan:   p = step / totalSteps, warmup ends at W / totalSteps  (W = warmupSteps ?? round(ratio · total))
 *   time budget: p = elapsed / budget (or step / maxSteps when that is further), warmup ends at p = ratio,
 *                or after warmupSteps steps when those are given.
 */
import type { LrSchedule } from '../../../protocol/shared/choices';

export interface SchedulePoint {
  /** Optimizer steps done before this one (0 for the first step). */
  step: number;
  /** Training progress in [0, 1]. */
  progress: number;
}

export interface ScheduleOptions {
  peakLr: number;
  schedule: LrSchedule;
  /** Warmup in steps, when given (wins over warmupFraction). */
  warmupSteps: number | null;
  /** Warmup as a fraction of progress. */
  warmupFraction: number;
}

/** Multiplier in [0, 1] of the peak learning rate. */
export function lrFactor(at: SchedulePoint, o: Omit<ScheduleOptions, 'peakLr'>): number {
  const p = Math.min(1, Math.max(0, at.progress));
  let warmEnd = o.warmupFraction;
  if (o.warmupSteps !== null) {
    if (at.step < o.warmupSteps) return at.step / o.warmupSteps;
    warmEnd = 0;
  } else if (p < warmEnd) {
    return p / warmEnd;
  }
  if (o.schedule === 'constant') return 1;
  const q = warmEnd >= 1 ? 1 : Math.min(1, Math.max(0, (p - warmEnd) / (1 - warmEnd)));
  return o.schedule === 'linear' ? 1 - q : 0.5 * (1 + Math.cos(Math.PI * q));
}

export function learningRate(at: SchedulePoint, o: ScheduleOptions): number {
  return o.peakLr * lrFactor(at, o);
}

/**
 * Step plan (HF semantics) for a known total of optimizer steps: warmup becomes a progress fraction so
 * that lrFactor reproduces step / W during warmup and (T - step) / (T - W) after it.
 */
export function stepPlan(
  totalSteps: number,
  warmupSteps: number | null,
  warmupRatio: number,
): { warmupSteps: null; warmupFraction: number } {
  const w = Math.min(totalSteps, warmupSteps ?? Math.round(warmupRatio * totalSteps));
  return { warmupSteps: null, warmupFraction: totalSteps > 0 ? w / totalSteps : 0 };
}
