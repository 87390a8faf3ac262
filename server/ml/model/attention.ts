/**
 * Multi-head scaled dot-product self-attention over a padded batch, from one fused Q|K|V projection.
 * qkv: [batch * seqLen, 3 * hidden] with the query columns already scaled by 1/√headDim (folded into the
 * projection); maskBias: [batch, seqLen] additive (0 or -1e9 per key), or undefined when nothing is padded
 * → [batch * seqLen, hidden].
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasSelfAttentionKernel, selfAttentionKernel } from '../kernels/selfAttention';

export interface AttentionShape {
  batchSize: number;
  seqLen: number;
  heads: number;
  /** Dropout rate on the attention probabilities (0 at inference) and its application. */
  dropoutRate: number;
  dropout: (probs: tf.Tensor4D) => tf.Tensor4D;
}

/** Query rows below which (rows × seqLen × hidden) the kernel attends only to the rows asked for, in JS. */
const FEW_ROWS_WORK = 1 << 17;

/**
 * True when attention() takes the few-rows kernel path for `rows` query rows (inference on wasm), so the
 * caller may project queries for those rows only and use attendRows.
 */
export function attendsFewRows(s: AttentionShape, rows: number, hidden: number): boolean {
  return (
    s.dropoutRate === 0 &&
    !tf.engine().isTapeOn() &&
    hasSelfAttentionKernel(s.seqLen) &&
    rows * s.seqLen * hidden <= FEW_ROWS_WORK
  );
}

/**
 * The few-rows path with the queries projected for those rows only: q [m, hidden] (scaled by 1/√headDim),
 * kv [batch·seqLen, 2·hidden] (keys | values of every token) → [m, hidden]. Check attendsFewRows first.
 */
export function attendRows(
  q: tf.Tensor2D,
  kv: tf.Tensor2D,
  maskBias: tf.Tensor2D | undefined,
  s: AttentionShape,
  rows: tf.Tensor1D,
): tf.Tensor2D {
  const attrs = { batchSize: s.batchSize, seqLen: s.seqLen, heads: s.heads };
  return selfAttentionKernel(kv, maskBias, attrs, rows, q);
}

/**
 * One kernel on wasm when nothing needs a gradient or dropout (inference, eval), else the composite of tf ops.
 * With rows (flat positions b·t + r, as ids and as an int32 tensor [m]) only those query rows → [m, hidden].
 */
export function attention(
  qkv: tf.Tensor2D,
  maskBias: tf.Tensor2D | undefined,
  s: AttentionShape,
  rows?: { ids: Int32Array; tensor: tf.Tensor1D },
): tf.Tensor2D {
  let ctx: tf.Tensor2D;
  if (s.dropoutRate === 0 && !tf.engine().isTapeOn() && hasSelfAttentionKernel(s.seqLen)) {
    const attrs = { batchSize: s.batchSize, seqLen: s.seqLen, heads: s.heads };
    if (rows && (rows.ids.length * s.seqLen * qkv.shape[1]) / 3 <= FEW_ROWS_WORK) {
      return selfAttentionKernel(qkv, maskBias, attrs, rows.tensor);
    }
    ctx = selfAttentionKernel(qkv, maskBias, attrs);
  } else {
    ctx = attentionComposite(qkv, maskBias, s);
  }
  return rows ? tf.gather(ctx, rows.tensor) : ctx;
}

/** The composite of tf ops (differentiable): the same inputs and output as attention(). */
export function attentionComposite(
  qkv: tf.Tensor2D,
  maskBias: tf.Tensor2D | undefined,
  s: AttentionShape,
): tf.Tensor2D {
  const { batchSize: b, seqLen: t, heads } = s;
  const hidden = qkv.shape[1] / 3;
  const dh = hidden / heads;
  // [b*t, 3·hidden] → [3, b, heads, t, dh]: one transpose for the three, then
  // one contiguous copy each along the first axis.
  const [q, k, v] = tf.unstack(
    tf.transpose(tf.reshape(qkv, [b, t, 3, heads, dh]), [2, 0, 3, 1, 4]),
  ) as tf.Tensor4D[];
  const scores = tf.matMul(q, k, false, true); // [b, heads, t, t], already scaled through q
  const biased = maskBias ? tf.add(scores, tf.reshape(maskBias, [b, 1, 1, t])) : scores;
  const probs = s.dropout(tf.softmax(biased) as tf.Tensor4D); // [b, heads, t, t]
  const ctx = tf.matMul(probs, v); // [b, heads, t, dh]
  return tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, hidden]);
}
