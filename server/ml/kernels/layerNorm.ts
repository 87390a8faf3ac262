/**
 * Fused LayerNorm over the last axis, forward and backward, as two kernels (wasm: on the heap; cpu: on the
 * backend's arrays) with float64 row statistics. Replaces ~9 forward and ~20 backward elementwise kernels per
 * LayerNorm (a BERT step has 2 per layer + 2). Backends without these kernels (the native ones) use the
 * composite of tf ops in model/ops.ts.
 *   MlmLayerNorm:     x [n, h], gamma [h], beta [h]          → y [n, h], rstd [n]
 *   MlmLayerNormGrad: dy [n, h], x [n, h], gamma [h], rstd [n] → dx [n, h], dgamma [h], dbeta [h]
 * MlmLayerNorm also takes an optional residual [n, h]: then → [y] only, y = LayerNorm(x + residual) (the float32
 * sum, as tf.add) in one launch, for inference (addLayerNormKernel; training keeps tf.add + fusedLayerNorm).
 *   MlmEmbedLayerNorm: ids int32 [n], word [v, h], position [p, h], tokenType [types, h], gamma, beta
 *                      → LayerNorm(word[id] + (position[r mod seqLen] + tokenType[0])) [n, h], inference only.
 *
 * Over 300 lines: the forward, backward, residual and embedding kernels share the row loops and their SIMD
 * binding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerNormSimdFor, type LayerNormSimd } from './layerNormSimd';
import { defineFusedKernel, hasKernel, type KernelArgs as Args, type Store } from './fusedKernel';

export const LAYER_NORM = 'MlmLayerNorm';
export const LAYER_NORM_GRAD = 'MlmLayerNormGrad';
export const EMBED_LAYER_NORM = 'MlmEmbedLayerNorm';

/** y = (x − mean) · rstd · gamma + beta per row; writes rstd = 1 / sqrt(var + eps). */
export function layerNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  rstd: Float32Array,
): void {
  const h = gamma.length;
  const n = x.length / h;
  const h4 = h - (h % 4);
  for (let r = 0; r < n; r++) {
    const base = r * h;
    // Four float64 partial sums (independent additions run in parallel; ~20 % faster than one chain).
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < h4; j += 4) {
      const o = base + j;
      s0 += x[o];
      s1 += x[o + 1];
      s2 += x[o + 2];
      s3 += x[o + 3];
    }
    for (; j < h; j++) s0 += x[base + j];
    const mean = (s0 + s2 + (s1 + s3)) / h; // grouped as layerNormSimd's two f64x2 accumulators
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (j = 0; j < h4; j += 4) {
      const o = base + j;
      const a = x[o] - mean;
      const b = x[o + 1] - mean;
      const c = x[o + 2] - mean;
      const d = x[o + 3] - mean;
      q0 += a * a;
      q1 += b * b;
      q2 += c * c;
      q3 += d * d;
    }
    for (; j < h; j++) {
      const d = x[base + j] - mean;
      q0 += d * d;
    }
    const rs = 1 / Math.sqrt((q0 + q2 + (q1 + q3)) / h + eps);
    rstd[r] = rs;
    for (j = 0; j < h; j++) y[base + j] = (x[base + j] - mean) * rs * gamma[j] + beta[j];
  }
}

/** layerNormForward on heap arrays through the SIMD loops (h a multiple of 4): the same bits. */
function layerNormForwardSimd(
  f: LayerNormSimd,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  rstd: Float32Array,
): void {
  const h = gamma.length;
  const n = x.length / h;
  for (let r = 0; r < n; r++) {
    const xr = x.byteOffset + r * h * 4;
    const mean = f.sum(xr, h) / h;
    const rs = 1 / Math.sqrt(f.sqDev(xr, h, mean) / h + eps);
    rstd[r] = rs;
    f.affine(xr, y.byteOffset + r * h * 4, gamma.byteOffset, beta.byteOffset, h, mean, rs);
  }
}

/** The SIMD loops when the backend is wasm and h suits them, else null (JavaScript). */
function simdRows(backend: unknown, simd: boolean, h: number): LayerNormSimd | null {
  return simd && h % 4 === 0 ? layerNormSimdFor(backend) : null;
}

function forward(
  f: LayerNormSimd | null,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  rstd: Float32Array,
): void {
  if (f) layerNormForwardSimd(f, x, gamma, beta, eps, y, rstd);
  else layerNormForward(x, gamma, beta, eps, y, rstd);
}

/**
 * With xhat = (x − mean) · rstd and g = dy · gamma:
 *   dx = rstd · (g − mean(g) − xhat · mean(g · xhat)),  dgamma = Σ_rows dy · xhat,  dbeta = Σ_rows dy.
 */
export function layerNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  rstd: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const h = gamma.length;
  const n = x.length / h;
  const dg = new Float64Array(h);
  const db = new Float64Array(h);
  const xhat = new Float64Array(h);
  for (let r = 0; r < n; r++) {
    const base = r * h;
    let sum = 0;
    for (let j = 0; j < h; j++) sum += x[base + j];
    const mean = sum / h;
    const rs = rstd[r];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < h; j++) {
      const xh = (x[base + j] - mean) * rs;
      xhat[j] = xh;
      const d = dy[base + j];
      const g = d * gamma[j];
      sg += g;
      sgx += g * xh;
      dg[j] += d * xh;
      db[j] += d;
    }
    const mg = sg / h;
    const mgx = sgx / h;
    for (let j = 0; j < h; j++) dx[base + j] = rs * (dy[base + j] * gamma[j] - mg - xhat[j] * mgx);
  }
  dgamma.set(dg);
  dbeta.set(db);
}

function forwardKernel(s: Store, args: Args, simd: boolean): tf.TensorInfo[] {
  const { x, gamma, beta, residual } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !gamma || !beta) throw new Error('LayerNorm needs x, gamma and beta');
  const eps = (args.attrs as { eps: number }).eps;
  const h = gamma.shape[0];
  const rows = tf.util.sizeFromShape(x.shape) / h;
  const f = simdRows(args.backend, simd, h);
  if (!residual) {
    const y = s.out([...x.shape]);
    const rstd = s.out([rows]);
    forward(f, s.read(x), s.read(gamma), s.read(beta), eps, s.target(y), s.target(rstd));
    return [y, rstd];
  }
  // Inference: y only (no statistics kept for a backward pass).
  if (!tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new Error(
      `LayerNorm residual [${residual.shape.join(', ')}] differs from x [${x.shape.join(', ')}]`,
    );
  }
  const y = s.out([...x.shape]);
  const sum = s.target(y);
  const a = s.read(x);
  const r = s.read(residual);
  if (f) f.add(a.byteOffset, r.byteOffset, sum.byteOffset, sum.length);
  else for (let i = 0; i < sum.length; i++) sum[i] = a[i] + r[i]; // rounded to float32 on store, as tf.add
  forward(f, sum, s.read(gamma), s.read(beta), eps, sum, new Float32Array(rows)); // in place, by row
  return [y];
}

function embedKernel(s: Store, args: Args, simd: boolean): tf.TensorInfo {
  const { ids, word, position, tokenType, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { seqLen, eps } = args.attrs as { seqLen: number; eps: number };
  const [vocab, h] = word.shape;
  const n = ids.shape[0];
  if (ids.dtype !== 'int32' || n % seqLen !== 0 || seqLen > position.shape[0] || position.shape[1] !== h) {
    throw new Error(
      `embedding needs int32 ids [batch·seqLen] and seqLen ${seqLen} ≤ ${position.shape[0]} positions of width ${h}`,
    );
  }
  const int = (): Int32Array => {
    const raw = s.read(ids);
    return new Int32Array(raw.buffer, raw.byteOffset, n);
  };
  let idx = int();
  for (let r = 0; r < n; r++) {
    const id = idx[r];
    if (!(id >= 0 && id < vocab))
      throw new Error(`input id ${id} at ${r} is outside the vocabulary [0, ${vocab})`);
  }
  const y = s.out([n, h]); // views taken before this allocation may be detached: take them again
  const out = s.target(y);
  idx = int();
  const w = s.read(word);
  const p = s.read(position);
  const t = s.read(tokenType);
  // position + token type 0 per position, float32 (as tf.add), then added to each word row.
  const pt = new Float32Array(seqLen * h);
  for (let i = 0; i < seqLen * h; i++) pt[i] = p[i] + t[i % h];
  for (let r = 0; r < n; r++) {
    const src = idx[r] * h;
    const pos = (r % seqLen) * h;
    const dst = r * h;
    for (let j = 0; j < h; j++) out[dst + j] = w[src + j] + pt[pos + j];
  }
  forward(simdRows(args.backend, simd, h), out, s.read(gamma), s.read(beta), eps, out, new Float32Array(n));
  return y;
}

function backwardKernel(s: Store, args: Args): tf.TensorInfo[] {
  const { dy, x, gamma, rstd } = args.inputs as Record<string, tf.TensorInfo>;
  const dx = s.out([...x.shape]);
  const dgamma = s.out([...gamma.shape]);
  const dbeta = s.out([...gamma.shape]);
  layerNormBackward(
    s.read(dy),
    s.read(x),
    s.read(gamma),
    s.read(rstd),
    s.target(dx),
    s.target(dgamma),
    s.target(dbeta),
  );
  return [dx, dgamma, dbeta];
}

export const layerNormKernels: tf.KernelConfig[] = [
  ...defineFusedKernel(LAYER_NORM, forwardKernel),
  ...defineFusedKernel(LAYER_NORM_GRAD, backwardKernel),
  ...defineFusedKernel(EMBED_LAYER_NORM, embedKernel),
];

/** True when the active backend has the fused kernels. */
export function hasFusedLayerNorm(): boolean {
  return hasKernel(LAYER_NORM);
}

/** True when the active backend has the inference kernels (embeddings, LayerNorm with a residual). */
export function hasInferenceLayerNorm(): boolean {
  return hasKernel(EMBED_LAYER_NORM);
}

/** Fused LayerNorm with its gradient: x [n, h], gamma [h], beta [h] → [n, h]. */
export function fusedLayerNorm(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const f = tf.customGrad(((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, rstd] = tf.engine().runKernel(LAYER_NORM, { x: xs, gamma: g, beta: b }, { eps }) as tf.Tensor[];
    save([xs, g, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sr] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, x: sx, gamma: sg, rstd: sr }, {}) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta) as tf.Tensor2D;
}

/** LayerNorm(x + residual) in one launch, x and residual [n, h] → [n, h]. No gradient: inference only. */
export function addLayerNormKernel(
  x: tf.Tensor2D,
  residual: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const [y] = tf.engine().runKernel(LAYER_NORM, { x, residual, gamma, beta }, { eps }) as tf.Tensor[];
  return y as tf.Tensor2D;
}

/**
 * BERT's embeddings in one launch: LayerNorm(word[ids] + position[r mod seqLen] + tokenType[0]) → [n, h].
 * No gradient: inference only.
 */
export function embedLayerNormKernel(
  ids: tf.Tensor1D,
  tables: { word: tf.Tensor2D; position: tf.Tensor2D; tokenType: tf.Tensor2D },
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  attrs: { seqLen: number; eps: number },
): tf.Tensor2D {
  return tf
    .engine()
    .runKernel(
      EMBED_LAYER_NORM,
      { ids, ...tables, gamma, beta },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor2D;
}
