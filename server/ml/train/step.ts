/**
 * One optimizer step: gradients of the mean masked-LM loss over `gradAccumulation` micro-batches,
 * global-norm clipping, the NaN/Inf guard, then AdamW. Leak-free: every tensor is created in a tidy or
 * disposed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedSquaredNorm, hasFusedSquaredNorm } from '../kernels/squaredNorm';
import type { MlmBatch, MlmModel } from '../types';
import type { AdamW } from './adamw';

export interface StepResult {
  /** Mean loss over the micro-batches (NaN/Infinity when not finite). */
  loss: number;
  /** Masked-token accuracy over all targets of the step. */
  accuracy: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** False when the loss or the gradients were not finite: the update was skipped. */
  applied: boolean;
  targets: number;
}

/** Number of correct argmax predictions: logits [n, vocab], labels [n] → scalar int32. */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
}

/**
 * One micro-batch: its mean loss (scalar), the gradients of `vars` (keyed by variable name) and the number of
 * correctly predicted targets (int32 scalar). The caller owns (disposes) every returned tensor.
 */
export function microBatchGradients(
  model: MlmModel,
  batch: MlmBatch,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap; correct: tf.Scalar } {
  const labels = tf.tensor1d(batch.labels, 'int32'); // [numTargets]
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const { loss, logits } = model.loss(batch, true);
    correct = tf.keep(countCorrect(logits, labels));
    return loss;
  }, vars);
  labels.dispose();
  return { value, grads, correct: correct! };
}

/** Computes gradients (summed over micro-batches, divided by their number) and the global norm. */
function gradients(
  model: MlmModel,
  batches: readonly MlmBatch[],
): { grads: Map<string, tf.Tensor>; loss: tf.Scalar; correct: tf.Scalar; norm: tf.Scalar } {
  const names = [...model.variables.keys()];
  const vars = names.map((n) => model.variables.get(n)!).filter((v) => v.trainable);
  // Tensors are tracked by hand (not tf.tidy) because the result holds a Map of gradients.
  const acc = new Map<string, tf.Tensor>();
  let lossSum: tf.Scalar = tf.scalar(0);
  let correct: tf.Scalar = tf.scalar(0, 'int32');
  const swap = <T extends tf.Tensor>(old: T, next: T): T => {
    old.dispose();
    return next;
  };
  for (const batch of batches) {
    const { value, grads, correct: c } = microBatchGradients(model, batch, vars);
    lossSum = swap(lossSum, tf.add(lossSum, value));
    value.dispose();
    correct = swap(correct, tf.add(correct, c));
    c.dispose();
    for (const n of names) {
      const g = grads[model.variables.get(n)!.name];
      if (!g) continue;
      const prev = acc.get(n);
      if (prev) {
        acc.set(n, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else {
        acc.set(n, g);
      }
    }
  }
  const k = batches.length;
  if (k > 1) for (const [n, g] of acc) acc.set(n, swap(g, tf.div(g, k)));
  const norm = tf.tidy(() => {
    const gs = [...acc.values()];
    // One kernel over all gradients where the backend has it (float64 sum), else a Square and a Sum each.
    if (gs.length && hasFusedSquaredNorm()) return tf.sqrt(fusedSquaredNorm(gs)) as tf.Scalar; // []
    const sq = gs.map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(sq.length ? tf.addN(sq) : tf.scalar(0)) as tf.Scalar; // []
  });
  const loss = k > 1 ? swap(lossSum, tf.div(lossSum, k) as tf.Scalar) : lossSum;
  return { grads: acc, loss, correct, norm };
}

export function trainStep(
  model: MlmModel,
  optimizer: AdamW,
  batches: readonly MlmBatch[],
  opts: { lr: number; clipNorm: number | null },
): StepResult {
  const targets = batches.reduce((s, b) => s + b.labels.length, 0);
  const { grads, loss, correct, norm } = gradients(model, batches);
  try {
    const lossValue = loss.dataSync()[0];
    const gradNorm = norm.dataSync()[0];
    const accuracy = targets ? correct.dataSync()[0] / targets : 0;
    if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
      return { loss: lossValue, accuracy, gradNorm, applied: false, targets };
    }
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is < 1.
    // The scale is applied inside the optimizer's update (one kernel less per gradient).
    const scale = opts.clipNorm !== null ? Math.min(1, opts.clipNorm / (gradNorm + 1e-6)) : 1;
    optimizer.apply(grads, opts.lr, scale);
    return { loss: lossValue, accuracy, gradNorm, applied: true, targets };
  } finally {
    for (const g of grads.values()) g.dispose();
    tf.dispose([loss, correct, norm]);
  }
}
