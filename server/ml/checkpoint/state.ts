/** The training state saved in every checkpoint's state.json: enough to continue exactly. */
import type { DataPosition } from '../data/stream';
import type { MaskCounts } from '../data/masking';

export const CHECKPOINT_FORMAT = 1;

export interface CheckpointState {
  format: number;
  /** Optimizer steps done. */
  step: number;
  /** Fractional epochs done. */
  epoch: number;
  /** Where the training data stream continues. */
  position: DataPosition;
  /** The model's dropout RNG state, when the model exposes one. */
  modelRng: number | null;
  /** Training time so far (ms), excluding time spent paused or stopped. */
  elapsedMs: number;
  /**
   * The metric rows' clock at this step (MetricRecord.time: ms since the run started, preparation and pauses
   * included): a resumed run's rows continue from it, so the curve over time has no step back. Absent in older
   * checkpoints (then elapsedMs).
   */
  timeMs?: number;
  /** Real tokens trained on so far. */
  trainTokens: number;
  maskCounts: MaskCounts;
  skippedSteps: number;
  nonFiniteInRow: number;
  /**
   * The loss-spike guard (train/lossSpike.ts): running average of the applied steps' losses and how many it has
   * seen, spike steps skipped (in all, in a row), rollbacks (in all, in a row) and the learning-rate factor they
   * left. Absent in checkpoints written before the guard: readState fills the defaults.
   */
  lossEma: number | null;
  lossEmaSteps: number;
  lossSpikes: number;
  spikesInRow: number;
  rollbacks: number;
  rollbacksInRow: number;
  lrScale: number;
  /**
   * Best eval loss so far, its step, and evaluations since it improved (early stopping). With an objective that
   * selects by another metric (fine-tuning's --metric), the best value of that metric, lower is better (negated
   * when higher is better: −accuracy).
   */
  bestEvalLoss: number | null;
  bestStep: number | null;
  evalsWithoutImprovement: number;
  /** Eval metrics at this step, when an evaluation ran just before the save. */
  evalLoss: number | null;
  evalAccuracy: number | null;
  savedAt: string;
}

/** The loss-spike guard's fields of a run that has not trained yet (and of a checkpoint saved before the guard). */
export const LOSS_SPIKE_DEFAULTS = {
  lossEma: null,
  lossEmaSteps: 0,
  lossSpikes: 0,
  spikesInRow: 0,
  rollbacks: 0,
  rollbacksInRow: 0,
  lrScale: 1,
} as const satisfies Partial<CheckpointState>;

/** The state of a run that has not trained yet (a base to fill in). */
export function emptyCheckpointState(): CheckpointState {
  return {
    format: CHECKPOINT_FORMAT,
    step: 0,
    epoch: 0,
    position: { epoch: 0, index: 0 },
    modelRng: null,
    elapsedMs: 0,
    trainTokens: 0,
    maskCounts: { candidates: 0, targets: 0, masked: 0, random: 0, kept: 0 },
    skippedSteps: 0,
    nonFiniteInRow: 0,
    ...LOSS_SPIKE_DEFAULTS,
    bestEvalLoss: null,
    bestStep: null,
    evalsWithoutImprovement: 0,
    evalLoss: null,
    evalAccuracy: null,
    savedAt: new Date().toISOString(),
  };
}
