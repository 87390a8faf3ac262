/**
 * Multi-head scaled dot-product self-attention over a padded batch.
 * q, k, v: [batch * seqLen, hidden]; maskBias: [batch, seqLen] additive (0 or -1e9 per key) → [batch * seqLen, hidden].
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AttentionShape {
  batchSize: number;
  seqLen: number;
  heads: number;
  /** Dropout on the attention probabilities (identity at inference). */
  dropout: (probs: tf.Tensor4D) => tf.Tensor4D;
}

export function attention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  maskBias: tf.Tensor2D,
  s: AttentionShape,
): tf.Tensor2D {
  const { batchSize: b, seqLen: t, heads } = s;
  const hidden = q.shape[1];
  const dh = hidden / heads;
  // [b*t, hidden] → [b, heads, t, dh]
  const split = (x: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(x, [b, t, heads, dh]), [0, 2, 1, 3]);
  const scores = tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(dh)); // [b, heads, t, t]
  const probs = s.dropout(tf.softmax(tf.add(scores, tf.reshape(maskBias, [b, 1, 1, t]))) as tf.Tensor4D); // [b, heads, t, t]
  const ctx = tf.matMul(probs, split(v)); // [b, heads, t, dh]
  return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, hidden]);
}
