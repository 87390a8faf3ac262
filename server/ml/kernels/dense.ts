/**
 * Inference dense layer for wasm in one engine op: x [m, k] · w + bias [n] → [m, n] on the stock _FusedMatMul
 * (XNNPACK, bias inside the product), called directly. tf.fused.matMul costs ~8 engine ops around the same
 * call (reshapes to rank 3, a custom-gradient scope, the reshape back); at fill-mask sizes that overhead is
 * a sizeable share of the product. w is [k, n], or [n, k] with transposeW (the tied decoder's word
 * embeddings; a contiguous transposed copy is cached by batchMatMul's TransposedCache). No gradient: call
 * only while no tape records.
 */
import * as tf from '@tensorflow/tfjs-core';
import { data, rightOperand } from './batchMatMul';
import { shapeBytes, stockKernel, type WasmBackend } from './wasmHeap';

export const DENSE = 'MlmDense';

type StockFused = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  activation: number,
  biasId: number,
  preluId: number,
  leakyreluAlpha: number,
  outId: number,
) => void;

const stockFused = (backend: WasmBackend): StockFused =>
  stockKernel<StockFused>(backend, tf._FusedMatMul, [
    'number',
    'array',
    'number',
    'number',
    'array',
    'number',
    'number',
    'number',
    'number',
    'number',
    'number',
    'number',
    'number',
  ]);

function dense(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, w, bias } = args.inputs as { x: tf.TensorInfo; w: tf.TensorInfo; bias: tf.TensorInfo };
  const transposeW = (args.attrs as { transposeW?: boolean } | undefined)?.transposeW === true;
  const [m, k] = x.shape;
  const n = transposeW ? w.shape[0] : w.shape[1];
  const kw = transposeW ? w.shape[1] : w.shape[0];
  if (
    x.shape.length !== 2 ||
    w.shape.length !== 2 ||
    kw !== k ||
    bias.shape.length !== 1 ||
    bias.shape[0] !== n
  ) {
    throw new Error(
      `dense needs x [m, k], w [k, n] (or [n, k] transposed) and bias [n]; got [${x.shape.join(', ')}], ` +
        `[${w.shape.join(', ')}] (transposeW=${transposeW}), [${bias.shape.join(', ')}]`,
    );
  }
  if ([x, w, bias].some((t) => t.dtype !== 'float32')) throw new Error('dense needs float32 tensors');
  const out = backend.makeOutput([m, n], 'float32');
  if (m === 0 || n === 0) return out;
  const right = rightOperand(backend, w, transposeW); // [k, n], contiguous
  try {
    stockFused(backend)(
      data(backend, x).id,
      shapeBytes([1, m, k]),
      3,
      data(backend, right.tensor).id,
      shapeBytes([1, k, n]),
      3,
      false,
      false,
      0, // linear
      data(backend, bias).id,
      0,
      0,
      data(backend, out).id,
    );
  } finally {
    right.release();
  }
  return out;
}

export const denseConfig: tf.KernelConfig = {
  kernelName: DENSE,
  backendName: 'wasm',
  kernelFunc: dense as unknown as tf.KernelFunc,
};

/** True when the current backend has the kernel (wasm after registerWasmKernels). */
export function hasDenseKernel(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(DENSE, 'wasm') !== undefined;
}

/** x [m, k] · w [k, n] (w [n, k] with transposeW) + bias [n] → [m, n]. No gradient. */
export function denseKernel(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D,
  transposeW = false,
): tf.Tensor2D {
  return tf.engine().runKernel(DENSE, { x, w, bias }, { transposeW }) as tf.Tensor2D;
}
