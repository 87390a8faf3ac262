/**
 * applyUpdate: the tail of every optimizer step, single-thread (train/step.ts) or data-parallel
 * (train/parallel/pool.ts): the NaN/Inf guard, the loss-spike guard's skip (train/lossSpike.ts), global-norm clipping (as a gradient scale) and AdamW.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw';

export interface StepResult {
  /** Mean loss over the micro-batches (NaN/Infinity when not finite). */
  loss: number;
  /** Prediction accuracy over all targets of the step. */
  accuracy: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** False when the loss or the gradients were not finite, or the loss spiked: the update was skipped. */
  applied: boolean;
  /** True when the update was skipped because the loss was over UpdateOptions.maxLoss (train/lossSpike.ts). */
  spike?: boolean;
  /** Prediction targets of the step (masked tokens for MLM). */
  targets: number;
}

export interface UpdateOptions {
  lr: number;
  /** Clip the global gradient norm to this (torch.nn.utils.clip_grad_norm_), or null for no clipping. */
  clipNorm: number | null;
  /**
   * Passes each micro-batch runs as (rows split, gradients weighted by their targets: the same step with a
   * smaller peak; train/memory.ts plans and backs off with it). Default 1.
   */
  chunks?: number;
  /** A finite loss over this is a spike: the update is skipped (train/lossSpike.ts). Default: no limit. */
  maxLoss?: number;
}

/**
 * Applies the step's gradients (the full batch's mean gradient, keyed by parameter name) unless the loss or the
 * gradient norm is not finite; clipping scales them by clipNorm / (norm + 1e-6) when that is < 1, inside the
 * optimizer's update (one kernel less per gradient). Does not dispose the gradients.
 */
export function applyUpdate(
  optimizer: AdamW,
  grads: ReadonlyMap<string, tf.Tensor>,
  measured: { loss: number; gradNorm: number; correct: number; targets: number },
  opts: UpdateOptions,
): StepResult {
  const { loss, gradNorm, targets } = measured;
  const accuracy = targets ? measured.correct / targets : 0;
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
    return { loss, accuracy, gradNorm, applied: false, targets };
  }
  if (opts.maxLoss !== undefined && loss > opts.maxLoss) {
    return { loss, accuracy, gradNorm, applied: false, spike: true, targets };
  }
  const scale = opts.clipNorm !== null ? Math.min(1, opts.clipNorm / (gradNorm + 1e-6)) : 1;
  optimizer.apply(grads, opts.lr, scale);
  return { loss, accuracy, gradNorm, applied: true, targets };
}
