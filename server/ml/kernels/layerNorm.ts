/**
 * Fused LayerNorm over the last axis, forward and backward, as two kernels (wasm: on the heap; cpu: on the
 * backend's arrays) with float64 row statistics. Replaces ~9 forward and ~20 backward elementwise kernels per
 * LayerNorm (a BERT step has 2 per layer + 2). Backends without these kernels (the native ones) use the
 * composite of tf ops in model/ops.ts.
 *   MlmLayerNorm:     x [n, h], gamma [h], beta [h]          → y [n, h], rstd [n]
 *   MlmLayerNormGrad: dy [n, h], x [n, h], gamma [h], rstd [n] → dx [n, h], dgamma [h], dbeta [h]
 */
import * as tf from '@tensorflow/tfjs-core';
import { cpuStore, wasmStore, type KernelArgs as Args, type Store } from './store';

export const LAYER_NORM = 'MlmLayerNorm';
export const LAYER_NORM_GRAD = 'MlmLayerNormGrad';

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
  for (let r = 0; r < n; r++) {
    const base = r * h;
    let sum = 0;
    for (let j = 0; j < h; j++) sum += x[base + j];
    const mean = sum / h;
    let sq = 0;
    for (let j = 0; j < h; j++) {
      const d = x[base + j] - mean;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / h + eps);
    rstd[r] = rs;
    for (let j = 0; j < h; j++) y[base + j] = (x[base + j] - mean) * rs * gamma[j] + beta[j];
  }
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

function forwardKernel(store: (b: unknown) => Store) {
  return (args: Args): tf.TensorInfo[] => {
    const s = store(args.backend);
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    const eps = (args.attrs as { eps: number }).eps;
    const h = gamma.shape[0];
    const y = s.out([...x.shape]);
    const rstd = s.out([tf.util.sizeFromShape(x.shape) / h]);
    layerNormForward(s.read(x), s.read(gamma), s.read(beta), eps, s.target(y), s.target(rstd));
    return [y, rstd];
  };
}

function backwardKernel(store: (b: unknown) => Store) {
  return (args: Args): tf.TensorInfo[] => {
    const s = store(args.backend);
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
  };
}

export const layerNormKernels: tf.KernelConfig[] = (
  [
    ['wasm', wasmStore],
    ['cpu', cpuStore],
  ] as const
).flatMap(([backendName, store]) => [
  { kernelName: LAYER_NORM, backendName, kernelFunc: forwardKernel(store) as unknown as tf.KernelFunc },
  { kernelName: LAYER_NORM_GRAD, backendName, kernelFunc: backwardKernel(store) as unknown as tf.KernelFunc },
]);

/** True when the active backend has the fused kernels. */
export function hasFusedLayerNorm(): boolean {
  return tf.getKernel(LAYER_NORM, tf.getBackend()) !== undefined;
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
