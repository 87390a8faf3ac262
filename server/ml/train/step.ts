/**
 * One optimizer step on this thread: gradients of the mean loss over `gradAccumulation` micro-batches and their
 * global norm, then applyUpdate (NaN/Inf guard, clipping, AdamW). The loss comes from a LossSource, so the
 * same step trains the MLM (mlmLoss) and a task head. Leak-free: every tensor is created in a tidy or disposed here.
 * Asynchronous on every backend: the loss, norm and accuracy are read with `data()` (webgpu has no synchronous read
 * in Node; on wasm and cpu the values are ready at once, so it costs nothing there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readData } from '../backend/read';
import { fusedSquaredNorm, hasFusedSquaredNorm } from '../kernels/squaredNorm';
import type { MlmBatch, MlmModel } from '../types';
import type { AdamW } from './adamw';
import { splitStep } from './parallel/split';
import { applyUpdate, type StepResult, type UpdateOptions } from './update';

export type { StepResult } from './update';

/** What a gradient step needs of the thing being trained: its variables and one batch's loss. */
export interface LossSource<B> {
  /** Trainable variables by parameter name (the optimizer's keys). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Mean loss (scalar) and correct predictions (int32 scalar) of one batch. Pure: runs inside variableGrads. */
  batchLoss(batch: B, training: boolean): { loss: tf.Scalar; correct: tf.Scalar };
  /** Prediction targets of one batch (the accuracy's denominator). */
  batchTargets(batch: B): number;
  /**
   * The denominator of a batch's mean loss, when it is not batchTargets (class-weighted cross-entropy: the sum of
   * the weights; regression: the rows): how data-parallel replicas weight their shares (train/parallel/split.ts).
   */
  lossMass?(batch: B): number;
  /**
   * The step's micro-batches as `chunks` passes of fewer rows each, with the weight of each pass's mean loss
   * (the weighted sum is the step's loss: the same gradient with a smaller peak; train/memory.ts). Without it a
   * step always runs whole micro-batches.
   */
  splitPasses?(batches: readonly B[], chunks: number): { batch: B; weight: number }[];
}

/** Number of correct argmax predictions: logits [n, vocab], labels [n] → scalar int32. */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
}

/** The masked-LM loss of a model: cross-entropy at the masked positions, accuracy of their argmax. */
export function mlmLoss(model: MlmModel): LossSource<MlmBatch> {
  return {
    variables: model.variables,
    batchLoss(batch, training) {
      const { loss, logits } = model.loss(batch, training);
      const labels = tf.tensor1d(batch.labels, 'int32'); // [numTargets]
      const correct = countCorrect(logits, labels);
      labels.dispose();
      return { loss, correct };
    },
    batchTargets: (batch) => batch.labels.length,
    splitPasses: (batches, chunks) => splitStep(batches, chunks).flat(),
  };
}

/**
 * One micro-batch: its mean loss (scalar), the gradients of `vars` (keyed by variable name) and the number of
 * correctly predicted targets (int32 scalar). The caller owns (disposes) every returned tensor.
 */
export function microBatchGradients<B>(
  source: LossSource<B>,
  batch: B,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap; correct: tf.Scalar } {
  let correct: tf.Scalar | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = source.batchLoss(batch, true);
      correct = tf.keep(out.correct);
      return out.loss;
    }, vars);
    return { value, grads, correct: correct! };
  } catch (err) {
    // A kernel failed (out of memory: the step is retried with fewer rows): variableGrads' scopes disposed the
    // pass's tensors, but not those the tape saved for a backward pass that never ran.
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
 * Computes gradients (summed over micro-batches, divided by their number) and the global norm. With `weights`
 * (one per batch: passes of split micro-batches), the sum of weight · gradient instead.
 */
function gradients<B>(
  source: LossSource<B>,
  batches: readonly B[],
  weights?: readonly number[],
): { grads: Map<string, tf.Tensor>; loss: tf.Scalar; correct: tf.Scalar; norm: tf.Scalar } {
  const names = [...source.variables.keys()];
  const vars = names.map((n) => source.variables.get(n)!).filter((v) => v.trainable);
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
      const { value, grads, correct: c } = microBatchGradients(source, batch, vars);
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
        const g = grads[source.variables.get(n)!.name];
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

/** One optimizer step of any LossSource on this thread. */
export async function gradientStep<B>(
  source: LossSource<B>,
  optimizer: AdamW,
  batches: readonly B[],
  opts: UpdateOptions,
): Promise<StepResult> {
  const targets = batches.reduce((s, b) => s + source.batchTargets(b), 0);
  const chunks = opts.chunks ?? 1;
  let passes: readonly B[] = batches;
  let weights: number[] | undefined;
  if (chunks > 1 && source.splitPasses) {
    // A micro-batch without targets has a NaN mean loss unsplit: skip the step the same way.
    if (batches.some((b) => source.batchTargets(b) === 0))
      return { loss: NaN, accuracy: 0, gradNorm: NaN, applied: false, targets };
    const parts = source.splitPasses(batches, chunks);
    passes = parts.map((p) => p.batch);
    weights = parts.map((p) => p.weight);
  }
  const { grads, loss, correct, norm } = gradients(source, passes, weights);
  try {
    const [l, n, c] = await Promise.all([loss, norm, correct].map(readData));
    const measured = { loss: l[0], gradNorm: n[0], correct: targets ? c[0] : 0, targets };
    return applyUpdate(optimizer, grads, measured, opts);
  } finally {
    for (const g of grads.values()) g.dispose();
    tf.dispose([loss, correct, norm]);
  }
}

/** One masked-LM optimizer step on this thread. */
export function trainStep(
  model: MlmModel,
  optimizer: AdamW,
  batches: readonly MlmBatch[],
  opts: UpdateOptions,
): Promise<StepResult> {
  return gradientStep(mlmLoss(model), optimizer, batches, opts);
}
