/**
 * BatchMatMul for wasm that keeps every product on XNNPACK. The stock kernel sends only untransposed,
 * non-batched products to XNNPACK (≈40 GFLOP/s per thread) and runs everything else — the transposed
 * products of every weight gradient and all of attention — in a scalar loop at 0.3–3 GFLOP/s.
 * Here transposed operands are first made contiguous by our Transpose (cheap next to the product), batched
 * products become one XNNPACK call per batch entry on views into the heap, and a batch over a shared right
 * operand is folded into a single [batch·m, k] product. Many small products (attention's) instead run in one
 * call of smallGemm's SIMD tiles, transposed operands read in place (no XNNPACK operator per matrix).
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasSmallGemm, smallGemm } from './smallGemm';
import { transposeInto } from './transpose';
import { f32, shapeBytes, stockKernel, type WasmBackend } from './wasmHeap';

type Stock = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

const stock = (backend: WasmBackend): Stock =>
  stockKernel<Stock>(backend, 'BatchMatMul', [
    'number',
    'array',
    'number',
    'number',
    'array',
    'number',
    'number',
    'number',
    'number',
  ]);

interface Data {
  id: number;
  memoryOffset: number;
}

export function data(backend: WasmBackend, t: tf.TensorInfo): Data {
  return backend.dataIdMap.get(t.dataId) as unknown as Data;
}

/** A tensor id over existing heap memory (no allocation); release with dropView. */
export function view(backend: WasmBackend, memoryOffset: number, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', memoryOffset);
}

export function dropView(backend: WasmBackend, t: tf.TensorInfo): void {
  const d = data(backend, t);
  (backend.wasm as unknown as { tfjs: { disposeData(id: number): void } }).tfjs.disposeData(d.id);
  backend.dataIdMap.delete(t.dataId);
}

/** out[1, m, n] = a[1, m, k] · b[1, k, n], all contiguous, on XNNPACK. */
export function product(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  out: tf.TensorInfo,
  m: number,
  k: number,
  n: number,
): void {
  stock(backend)(
    data(backend, a).id,
    shapeBytes([1, m, k]),
    3,
    data(backend, b).id,
    shapeBytes([1, k, n]),
    3,
    false,
    false,
    data(backend, out).id,
  );
}

/**
 * Batched products with at least this many matrices of at most this m·n·k run on smallGemm: measured 2× faster
 * than one XNNPACK call per matrix for 128 × [128, 128]·[128, 64] (attention), even at 8; mixed at 2–4 matrices
 * or from m·n·k 2²².
 */
const SMALL_MIN_BATCH = 8;
const SMALL_MAX_MNK = 1 << 21;

function batchMatMul(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`matMul needs float32 tensors, got ${a.dtype} and ${b.dtype}: cast them first`);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `matMul inner sizes differ: ${k} and ${kb} (shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}], ` +
        `transposeA=${transposeA}, transposeB=${transposeB})`,
    );
  }
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
    throw new Error(
      `matMul batch shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] broadcast only when one batch is 1`,
    );
  }
  if (batch === 1 && transposeA && !transposeB && n >= 2 * m && m * n * k >= 1 << 20) {
    return flippedTN(backend, a, b, m, k, n, [...outer, m, n]);
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (m === 0 || n === 0 || batch === 0) return out;
  if (k === 0) {
    f32(backend, out).fill(0);
    return out;
  }
  // Contiguous [batch, m, k] and [batch, k, n] operands.
  const swap = (r: number): number[] => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  const small =
    batch >= SMALL_MIN_BATCH && batchB === batch && m * n * k <= SMALL_MAX_MNK && hasSmallGemm(backend);
  if (small) {
    // Many small products (attention): one call of the SIMD tiles, transposed operands read in place.
    smallGemm(backend, {
      m,
      n,
      k,
      a: data(backend, a).memoryOffset / 4,
      aRow: transposeA ? 1 : k,
      aCol: transposeA ? m : 1,
      b: data(backend, b).memoryOffset / 4,
      bRow: transposeB ? 1 : n,
      bCol: transposeB ? k : 1,
      c: data(backend, out).memoryOffset / 4,
      cRow: n,
      count: batch,
      aStride: batchA === 1 ? 0 : m * k,
      bStride: k * n,
      cStride: m * n,
    });
    return out;
  }
  const aN = transposeA ? transposeInto(backend, a, swap(ra)) : a;
  const cachedB = transposeB ? transposedWeights.get(backend, b) : undefined;
  const bN = cachedB ?? (transposeB ? transposeInto(backend, b, swap(rb)) : b);
  try {
    if (batchB === 1 && batchA === batch) {
      // Shared right operand: one [batch·m, k] · [k, n] product.
      product(backend, aN, bN, out, batch * m, k, n);
    } else {
      const aOff = data(backend, aN).memoryOffset;
      const bOff = data(backend, bN).memoryOffset;
      const oOff = data(backend, out).memoryOffset;
      for (let i = 0; i < batch; i++) {
        const av = view(backend, aOff + (batchA === 1 ? 0 : i * m * k * 4), [1, m, k]);
        const bv = view(backend, bOff + (batchB === 1 ? 0 : i * k * n * 4), [1, k, n]);
        const ov = view(backend, oOff + i * m * n * 4, [1, m, n]);
        product(backend, av, bv, ov, m, k, n);
        dropView(backend, av);
        dropView(backend, bv);
        dropView(backend, ov);
      }
    }
  } finally {
    if (aN !== a) backend.disposeData(aN.dataId);
    if (bN !== b && bN !== cachedB) backend.disposeData(bN.dataId);
  }
  return out;
}

/**
 * aᵀ · b with a [k, m], b [k, n] and n ≫ m (weight gradients of layers that widen, e.g. the FFN input):
 * computed as (bᵀ · a)ᵀ. XNNPACK then packs a (k·m) instead of b (k·n) and runs with n rows; measured
 * 88 → 67 ms for k 4096, m 256, n 1024. Both transposes are cheap next to the product.
 */
function flippedTN(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  m: number,
  k: number,
  n: number,
  outShape: number[],
): tf.TensorInfo {
  const rb = b.shape.length;
  const bT = transposeInto(backend, b, [...Array.from({ length: rb - 2 }, (_, i) => i), rb - 1, rb - 2]); // [n, k]
  const tmp = backend.makeOutput([n, m], 'float32');
  try {
    product(backend, bT, a, tmp, n, k, m); // [n, m] = bᵀ · a
    const out = transposeInto(backend, tmp, [1, 0]); // [m, n]
    out.shape = outShape;
    return out;
  } finally {
    backend.disposeData(bT.dataId);
    backend.disposeData(tmp.dataId);
  }
}

/**
 * Transposed copies of right operands that are used again (weights at inference: the tied decoder
 * multiplies by the word embeddings transposed). A copy is made on the second use of the same data and kept,
 * with its packed XNNPACK operator, until the source is disposed; stale copies are freed on the next call.
 */
class TransposedCache {
  private readonly seen = new WeakSet<object>();
  private readonly copies = new Map<object, tf.TensorInfo>();

  get(backend: WasmBackend, b: tf.TensorInfo): tf.TensorInfo | undefined {
    for (const [source, copy] of this.copies) {
      if (!backend.dataIdMap.has(source as tf.DataId)) {
        backend.disposeData(copy.dataId);
        this.copies.delete(source);
      }
    }
    const hit = this.copies.get(b.dataId);
    if (hit) return hit;
    if (!this.seen.has(b.dataId)) {
      this.seen.add(b.dataId);
      return undefined;
    }
    const r = b.shape.length;
    const copy = transposeInto(backend, b, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
    this.copies.set(b.dataId, copy);
    return copy;
  }
}

const transposedWeights = new TransposedCache();

/**
 * A right operand as a contiguous [k, n]: b itself, or with transposed the cached transposed copy (from its
 * second use) or a temporary one. Call release() after the product.
 */
export function rightOperand(
  backend: WasmBackend,
  b: tf.TensorInfo,
  transposed: boolean,
): { tensor: tf.TensorInfo; release: () => void } {
  if (!transposed) return { tensor: b, release: () => undefined };
  const cached = transposedWeights.get(backend, b);
  if (cached) return { tensor: cached, release: () => undefined };
  const copy = transposeInto(backend, b, [1, 0]);
  return { tensor: copy, release: () => backend.disposeData(copy.dataId) };
}

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
