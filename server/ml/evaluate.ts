/**
 * Held-out evaluation: token-weighted mean cross-entropy at the masked targets, masked-token accuracy
 * and perplexity, plus the unigram baseline (always predicting the most frequent training token) that
 * a model must beat to have learned anything.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readData } from './backend/read';
import type { Example } from './data/examples';
import type { MlmBatch, MlmModel, SpecialTokenIds } from './types';

export interface EvalResult {
  loss: number;
  accuracy: number;
  perplexity: number;
  /** Prediction targets evaluated. */
  tokens: number;
}

/**
 * Evaluates without dropout; leak-free. An empty batch list gives NaN metrics and 0 tokens. The values are read
 * asynchronously (every backend: webgpu has no synchronous read in Node). `onBatch(done, total)` before each batch
 * and once at the end.
 */
export async function evaluateBatches(
  model: MlmModel,
  batches: readonly MlmBatch[],
  onBatch?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const sums = { lossSum: 0, correct: 0, tokens: 0 };
  for (const [i, batch] of batches.entries()) {
    onBatch?.(i, batches.length);
    if (!batch.labels.length) continue;
    const [loss, hits] = batchLossAndHits(model, batch);
    try {
      const [l, h] = await Promise.all([readData(loss), readData(hits)]);
      addBatch(sums, batch, l[0], h[0]);
    } finally {
      tf.dispose([loss, hits]);
    }
  }
  onBatch?.(batches.length, batches.length);
  return evalResult(sums);
}

/** Mean loss (scalar) and correct argmax predictions (int32 scalar) of one batch; the caller disposes both. */
function batchLossAndHits(model: MlmModel, batch: MlmBatch): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    const out = model.loss(batch, false);
    const labels = tf.tensor1d(batch.labels, 'int32'); // [n]
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), labels), 'int32')) as tf.Scalar;
    return [out.loss, hits];
  });
}

interface EvalSums {
  lossSum: number;
  correct: number;
  tokens: number;
}

function addBatch(s: EvalSums, batch: MlmBatch, loss: number, hits: number): void {
  s.lossSum += loss * batch.labels.length;
  s.correct += hits;
  s.tokens += batch.labels.length;
}

function evalResult({ lossSum, correct, tokens }: EvalSums): EvalResult {
  const loss = tokens ? lossSum / tokens : NaN;
  return { loss, accuracy: tokens ? correct / tokens : NaN, perplexity: Math.exp(loss), tokens };
}

/** The most frequent non-special token of the training examples. */
export function mostFrequentToken(examples: readonly Example[], special: SpecialTokenIds): number {
  const specials = new Set(Object.values(special));
  const counts = new Map<number, number>();
  for (const ex of examples) {
    for (let t = 0; t < ex.length; t++) {
      const id = ex.ids[t];
      if (!specials.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  let best = -1;
  let bestCount = -1;
  for (const [id, c] of counts) {
    if (c > bestCount || (c === bestCount && id < best)) {
      best = id;
      bestCount = c;
    }
  }
  return best;
}

/** Accuracy of always predicting `tokenId` at the batches' targets (the unigram baseline). */
export function constantPredictionAccuracy(batches: readonly MlmBatch[], tokenId: number): number {
  let hits = 0;
  let n = 0;
  for (const b of batches) {
    for (const l of b.labels) if (l === tokenId) hits++;
    n += b.labels.length;
  }
  return n ? hits / n : NaN;
}
