/**
 * Held-out evaluation: token-weighted mean cross-entropy at the masked targets, masked-token accuracy
 * and perplexity, plus the unigram baseline (always predicting the most frequent training token) that
 * a model must beat to have learned anything.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Example } from './data/examples';
import type { MlmBatch, MlmModel, SpecialTokenIds } from './types';

export interface EvalResult {
  loss: number;
  accuracy: number;
  perplexity: number;
  /** Prediction targets evaluated. */
  tokens: number;
}

/** Evaluates without dropout; leak-free. An empty batch list gives NaN metrics and 0 tokens. */
export function evaluateBatches(model: MlmModel, batches: readonly MlmBatch[]): EvalResult {
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (const batch of batches) {
    const n = batch.labels.length;
    if (!n) continue;
    const [loss, c] = tf.tidy(() => {
      const out = model.loss(batch, false);
      const labels = tf.tensor1d(batch.labels, 'int32'); // [n]
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), labels), 'int32'));
      return [out.loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += loss * n;
    correct += c;
    tokens += n;
  }
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
