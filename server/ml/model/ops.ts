/**
 * The building blocks both models use. Every function is pure tensor math meant to run inside tf.tidy
 * (or optimizer.minimize); shapes are in the comments.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGelu, hasFusedGelu } from '../kernels/gelu';
import { fusedLayerNorm, hasFusedLayerNorm } from '../kernels/layerNorm';
import { hasMaskedXent, maskedCrossEntropy } from '../kernels/webgpu/maskedXent';
import { mixSeedPair, mulberry32 } from '../data/rng';

/** x [n, in] · w [in, out] + b [out] → [n, out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, w), b);
}

/**
 * LayerNorm over the last axis: x [n, h] → [n, h]. One fused kernel (forward and backward) on wasm and cpu,
 * layerNormTfOps elsewhere.
 *
 * Naming: `fusedX` is our kernel (kernels/), `xTfOps` the same function from tf ops for the native backends,
 * `xAutodiff` tf ops differentiated by autodiff, kept as the tests' reference.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  return hasFusedLayerNorm() ? fusedLayerNorm(x, gamma, beta, eps) : layerNormTfOps(x, gamma, beta, eps);
}

/** LayerNorm from tf ops (moments, rsqrt, scale, shift), the native backends' path: x [n, h] → [n, h]. */
export function layerNormTfOps(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, gamma), beta);
}

/**
 * Exact GELU: 0.5 x (1 + erf(x / √2)), as BERT's "gelu" activation. On wasm and cpu one fused kernel forward
 * and one backward (kernels/gelu.ts: SIMD on wasm); elsewhere (native backends) geluTfOps.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return hasFusedGelu() ? fusedGelu(x) : geluTfOps(x);
}

/**
 * GELU from tf ops with a hand-written gradient, the native backends' path: the forward keeps x / √2 and 0.5 (1 + erf(x / √2)), and the
 * backward is dy · (0.5 (1 + erf(x / √2)) + x φ(x)) with x φ(x) = (x / √2) · exp(−x² / 2) / √π — 7 kernels
 * instead of autodiff's 10 through Erf's gradient.
 */
export function geluTfOps<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const xs = tf.mul(xi, Math.SQRT1_2); // shape of x
    const half = tf.mul(tf.add(tf.erf(xs), 1), 0.5); // shape of x
    save([xs, half]);
    return {
      value: tf.mul(xi, half),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [s, h] = saved;
        const xPhi = tf.mul(tf.mul(s, tf.exp(tf.neg(tf.square(s)))), RSQRT_PI); // shape of x
        return tf.mul(dy, tf.add(h, xPhi));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

const RSQRT_PI = 1 / Math.sqrt(Math.PI);

/** GELU from tf ops, differentiated by autodiff (the reference for the tests): x → same shape. */
export function geluAutodiff<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * A seeded stream of dropout masks: call k of a stream with seed s always draws the same mask, on every
 * backend, so a run is reproducible and resumable (the state is the call counter).
 */
export class DropoutStream {
  constructor(
    private readonly seed: number,
    public state = 0,
  ) {}

  /** x scaled by 1/(1-rate) where kept, 0 where dropped; identity when rate is 0. Same shape as x. */
  apply<T extends tf.Tensor>(x: T, rate: number): T {
    if (rate <= 0) return x;
    const keep = 1 - rate;
    const rand = mulberry32(mixSeedPair(this.seed, this.state++));
    const mask = new Float32Array(x.size);
    const scale = 1 / keep;
    for (let i = 0; i < mask.length; i++) mask[i] = rand() < keep ? scale : 0;
    return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
  }
}

/**
 * Mean sparse softmax cross-entropy: logits [n, v], labels [n] → scalar, with the closed-form gradient
 * (softmax − one-hot) / n. Written as one custom-gradient op so the backward pass does not differentiate
 * logSumExp's max (an Equal and a Max over the whole [n, v] block).
 */
export function sparseCrossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const [n, v] = logits.shape;
  const flat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] >= v) {
      throw new Error(`label ${labels[i]} at target ${i} is outside the vocabulary [0, ${v})`);
    }
    flat[i] = i * v + labels[i];
  }
  // webgpu: two WGSL kernels (kernels/webgpu/maskedXent.ts) instead of the nine ops below.
  if (n > 0 && hasMaskedXent(n)) return maskedCrossEntropy(logits, labels);
  const f = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // logSumExp by hand, keeping exp(x − max) for the backward pass (saves an Exp over [n, v]).
    const max = tf.max(x, 1, true); // [n, 1]
    const e = tf.exp(tf.sub(x, max)); // [n, v]
    const sum = tf.sum(e, 1, true); // [n, 1]
    const lse = tf.add(max, tf.log(sum)); // [n, 1]
    const picked = tf.gather(tf.reshape(x, [n * v]), tf.tensor1d(flat, 'int32')); // [n]
    const value = tf.mean(tf.sub(tf.reshape(lse, [n]), picked)) as tf.Scalar;
    // Saved tensors outlive the forward pass (the labels would otherwise be disposed with it).
    save([e, sum, tf.tensor1d(labels, 'int32')]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [es, sums, y] = saved;
        const probs = tf.div(es, sums); // softmax [n, v]
        // int32 then cast: tfjs-backend-wasm 4.22's OneHot writes integer bits into float32 outputs.
        const oneHot = tf.cast(tf.oneHot(y as tf.Tensor1D, v), 'float32'); // [n, v]
        return tf.mul(tf.sub(probs, oneHot), tf.div(dy, n));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}

/** Checks a batch's arrays against its declared sizes (a mismatch is a bug in the caller). */
export function checkBatchShape(
  inputIds: Int32Array,
  attentionMask: Int32Array,
  batchSize: number,
  seqLen: number,
  positions: Int32Array,
  maxPositions: number,
): void {
  const n = batchSize * seqLen;
  if (inputIds.length !== n || attentionMask.length !== n) {
    throw new Error(
      `batch arrays hold ${inputIds.length} ids and ${attentionMask.length} mask values; ` +
        `batchSize × seqLen = ${n}`,
    );
  }
  if (seqLen > maxPositions) {
    throw new Error(`seqLen ${seqLen} exceeds the model's maxPositionEmbeddings ${maxPositions}`);
  }
  if (positions.length === 0) {
    throw new Error(
      'the batch has no prediction targets (maskedPositions is empty): mask at least one token',
    );
  }
  for (const p of positions) {
    if (p < 0 || p >= n) throw new Error(`masked position ${p} is outside the batch [0, ${n})`);
  }
}
