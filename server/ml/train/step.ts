/**
 * One optimizer step: gradients of the mean masked-LM loss over `gradAccumulation` micro-batches,
 * global-norm clipping, the NaN/Inf guard, then AdamW. Leak-free: every tensor is created in a tidy or
 * disposed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedSquaredNorm, hasFusedSquaredNorm } from '../kernels/adamw';
import type { MlmBatch, MlmModel } from '../types';
import type { AdamW } from './adamw';
import { splitStep } from './parallel/split';

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
  let correct: tf.Scalar | undefined;
  try {
    const { value, grads } = tf.tidy(() => {
      const labels = tf.tensor1d(batch.labels, 'int32'); // [numTargets]
      return tf.variableGrads(() => {
        const { loss, logits } = model.loss(batch, true);
        correct = tf.keep(countCorrect(logits, labels));
        return loss;
      }, vars);
    });
    return { value, grads, correct: correct! };
  } catch (err) {
    // A kernel failed (out of memory: the step is retried with fewer rows): the tidy disposed the pass's
    // tensors, but not those the tape saved for a backward pass that never ran.
    correct?.dispose();
    disposeAbandonedTape();
    throw err;
  }
}

/** Disposes the tensors an interrupted tf.variableGrads left on the engine's tape (tfjs frees them in backprop). */
function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineTapeState }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

interface EngineTapeState {
  gradientDepth: number;
  activeTape: Array<{ saved?: tf.Tensor[] }> | null;
}

/**
 * Computes gradients (summed over micro-batches, divided by their number) and the global norm. With
 * `weights` (one per batch), the sum of weight · gradient instead (passes of split micro-batches: memory.ts).
 */
function gradients(
  model: MlmModel,
  batches: readonly MlmBatch[],
  weights?: readonly number[],
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
  try {
    for (const [i, batch] of batches.entries()) {
      const w = weights?.[i];
      const { value, grads, correct: c } = microBatchGradients(model, batch, vars);
      if (w !== undefined) {
        for (const [key, g] of Object.entries(grads)) grads[key] = swap(g, tf.mul(g, w));
        lossSum = swap(
          lossSum,
          tf.tidy(() => tf.add(lossSum, tf.mul(value, w))),
        );
      } else {
        lossSum = swap(lossSum, tf.add(lossSum, value));
      }
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
  } catch (err) {
    // Out of memory mid-step (memory.ts backs off and runs the step again): leave nothing behind.
    tf.dispose([...acc.values(), lossSum, correct]);
    throw err;
  }
  const k = weights ? 1 : batches.length;
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

/**
 * One optimizer step over `batches`. opts.chunks > 1 runs each micro-batch as that many passes of fewer rows
 * (weighted by their targets: the same gradient and loss, a smaller peak; train/memory.ts).
 */
export function trainStep(
  model: MlmModel,
  optimizer: AdamW,
  batches: readonly MlmBatch[],
  opts: { lr: number; clipNorm: number | null; chunks?: number },
): StepResult {
  const targets = batches.reduce((s, b) => s + b.labels.length, 0);
  const chunks = opts.chunks ?? 1;
  let passes: readonly MlmBatch[] = batches;
  let weights: number[] | undefined;
  if (chunks > 1) {
    // A micro-batch without targets has a NaN mean loss unsplit: skip the step the same way.
    if (batches.some((b) => b.labels.length === 0))
      return { loss: NaN, accuracy: 0, gradNorm: NaN, applied: false, targets };
    const parts = splitStep(batches, chunks).flat();
    passes = parts.map((p) => p.batch);
    weights = parts.map((p) => p.weight);
  }
  const { grads, loss, correct, norm } = gradients(model, passes, weights);
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
