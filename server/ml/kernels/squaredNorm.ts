/**
 * Fused global squared norm for gradient clipping, on the wasm and cpu backends: one kernel over all gradients
 * replaces a Square and a Sum per gradient. On wasm a SIMD loop in a tiny WebAssembly module on tfjs's
 * memory sums the bulk of each tensor (float64 accumulators), JavaScript the tails and the cpu backend.
 * Backends without it (the native ones) use the tf ops in train/step.ts.
 *   MlmSquaredNorm: g0, g1, … (any shapes) → Σ g² (scalar, accumulated in float64)
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineFusedKernel, hasKernel, type KernelArgs as Args, type Store } from './fusedKernel';
import { memoryModule, onBackendMemory } from './wasmModule';
import {
  at,
  F64,
  f64,
  f64x2,
  get,
  I32,
  set,
  swapHalves,
  tee,
  V128,
  v128,
  vectorLoop,
  type Code,
} from './wasmOps';

export const SQUARED_NORM = 'MlmSquaredNorm';

interface Simd {
  /** (byte offset, n a multiple of 4): Σ x² in float64. */
  sumSquares: (ptr: number, n: number) => number;
}

/** sumSquares(ptr, n) → f64: Σ x² over n floats (a multiple of 4), in two f64x2 accumulators. */
function simdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 ptr, 1 n; locals 2 i, 3 end, 4–5 accumulators, 6 the 4 floats, 7 two of them as f64.
  const [X, N, I, END, ACC0, ACC1, XS, X64] = [0, 1, 2, 3, 4, 5, 6, 7];
  const sq = (acc: number, half: Code): Code => [
    ...get(acc),
    ...half,
    ...f64x2.promote_low_f32x4,
    ...tee(X64),
    ...get(X64),
    ...f64x2.mul,
    ...f64x2.add,
    ...set(acc),
  ];
  // prettier-ignore
  const sumSquares = [
    ...vectorLoop(N, I, END, [
      ...at(X, I), ...v128.load(), ...set(XS),
      ...sq(ACC0, get(XS)), // acc0 += (x0, x1)²
      ...sq(ACC1, [...get(XS), ...get(XS), ...swapHalves]), // acc1 += (x2, x3)²
    ]),
    ...get(ACC0), ...get(ACC1), ...f64x2.add, ...set(ACC0),
    ...get(ACC0), ...f64x2.extract_lane(0), ...get(ACC0), ...f64x2.extract_lane(1), ...f64.add,
  ];
  return memoryModule(shared, [
    {
      name: 'sumSquares',
      params: [I32, I32],
      results: [F64],
      locals: [
        [2, I32],
        [4, V128],
      ],
      body: sumSquares,
    },
  ]);
}

/** The SIMD sum bound to a wasm backend's memory, or null where it cannot be built (then JavaScript). */
const simdFor = onBackendMemory<Simd>('squaredNorm', simdModule);

function squaredNormKernel(s: Store, args: Args, simd: boolean): tf.TensorInfo {
  const out = s.out([]);
  const fast = simd ? simdFor(args.backend) : null;
  let sq = 0;
  for (const t of Object.values(args.inputs)) {
    const d = s.read(t as tf.TensorInfo);
    const bulk = fast ? d.length & ~3 : 0;
    if (fast && bulk) sq += fast.sumSquares(d.byteOffset, bulk);
    for (let i = bulk; i < d.length; i++) sq += d[i] * d[i];
  }
  s.target(out)[0] = sq;
  return out;
}

export const squaredNormKernels: tf.KernelConfig[] = defineFusedKernel(SQUARED_NORM, squaredNormKernel);

/** True when the active backend has the fused squared-norm kernel. */
export function hasFusedSquaredNorm(): boolean {
  return hasKernel(SQUARED_NORM);
}

/** True when the active backend is wasm and the SIMD sum runs on its memory (for tests). */
export function hasSimdSquaredNorm(): boolean {
  return tf.getBackend() === 'wasm' && simdFor(tf.backend()) !== null;
}

/** Σ over all tensors of Σ x² (float64 accumulation) → scalar []. */
export function fusedSquaredNorm(ts: readonly tf.Tensor[]): tf.Scalar {
  const inputs: tf.NamedTensorMap = {};
  ts.forEach((t, i) => (inputs[`g${i}`] = t));
  return tf.engine().runKernel(SQUARED_NORM, inputs, {}) as tf.Scalar;
}
