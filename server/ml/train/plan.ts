/**
 * When a run stops and how far along it is: max steps, epochs and a wall-clock budget, whichever comes
 * first. Progress in [0, 1] drives the learning-rate schedule, so with a time budget the schedule
 * follows the clock (warmup, then decay to 0 as the budget runs out).
 */
import { DEFAULT_EPOCHS, parseDuration, type ResolvedRunConfig } from '../../../protocol/runConfig';
import type { StopReason } from './summary';
import { stepPlan, type ScheduleOptions } from './schedule';

export interface TrainPlan {
  /** Optimizer steps after which training stops (undefined with only a time budget). */
  totalSteps: number | undefined;
  /** Which limit totalSteps comes from. */
  stepLimit: 'max-steps' | 'epochs' | undefined;
  budgetMs: number | undefined;
  stepsPerEpoch: number;
  schedule: ScheduleOptions;
}

export function makePlan(t: ResolvedRunConfig['training'], batchesPerEpoch: number): TrainPlan {
  const stepsPerEpoch = Math.max(1, Math.ceil(batchesPerEpoch / t.gradAccumulation));
  const budgetMs = t.timeBudget !== null ? parseDuration(t.timeBudget) : undefined;
  const epochs = t.epochs ?? (t.maxSteps === null && budgetMs === undefined ? DEFAULT_EPOCHS : null);
  const epochSteps = epochs !== null ? Math.max(1, Math.ceil(epochs * stepsPerEpoch)) : undefined;
  let totalSteps: number | undefined;
  let stepLimit: TrainPlan['stepLimit'];
  if (t.maxSteps !== null && (epochSteps === undefined || t.maxSteps <= epochSteps)) {
    totalSteps = t.maxSteps;
    stepLimit = 'max-steps';
  } else if (epochSteps !== undefined) {
    totalSteps = epochSteps;
    stepLimit = 'epochs';
  }
  const schedule: ScheduleOptions =
    budgetMs === undefined && totalSteps !== undefined
      ? { peakLr: t.lr, schedule: t.schedule, ...stepPlan(totalSteps, t.warmupSteps, t.warmupRatio) }
      : { peakLr: t.lr, schedule: t.schedule, warmupSteps: t.warmupSteps, warmupFraction: t.warmupRatio };
  return { totalSteps, stepLimit, budgetMs, stepsPerEpoch, schedule };
}

/** Progress in [0, 1]: the furthest of step / totalSteps and elapsed / budget. */
export function progressOf(plan: TrainPlan, step: number, elapsedMs: number): number {
  let p = 0;
  if (plan.totalSteps !== undefined) p = Math.max(p, step / plan.totalSteps);
  if (plan.budgetMs !== undefined) p = Math.max(p, elapsedMs / plan.budgetMs);
  return Math.min(1, p);
}

/** The reason to stop before the next step, if any. */
export function limitReached(plan: TrainPlan, step: number, elapsedMs: number): StopReason | undefined {
  if (plan.totalSteps !== undefined && step >= plan.totalSteps) return plan.stepLimit;
  if (plan.budgetMs !== undefined && elapsedMs >= plan.budgetMs) return 'time-budget';
  return undefined;
}
