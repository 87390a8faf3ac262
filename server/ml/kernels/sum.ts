/**
 * Sum for wasm over a leading or trailing block of axes, in JavaScript with float64 accumulators. The stock
 * kernel transposes the reduced axes to the end first (with its slow transpose), which made the bias
 * gradients (sum over the rows of [tokens, features]) one of the most expensive kernels of a training step.
 * Other axis patterns and non-float32 inputs go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocate, f32, type WasmBackend } from './wasmHeap';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The reduced axes as a block: 'leading' ([0, r)), 'trailing' ([r, rank)) or undefined. */
export function reductionBlock(
  rank: number,
  axes: number[],
): { kind: 'leading' | 'trailing'; split: number } | undefined {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const contiguous = sorted.every((a, i) => a === sorted[0] + i);
  if (!contiguous) return undefined;
  if (sorted[sorted.length - 1] === rank - 1) return { kind: 'trailing', split: sorted[0] };
  if (sorted[0] === 0) return { kind: 'leading', split: sorted.length };
  return undefined;
}

export function makeSumConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  let stockReady = false;
  const delegate = (args: KernelArgs): tf.TensorInfo => {
    if (!stock) throw new Error('the wasm backend has no Sum kernel to fall back to');
    if (!stockReady) {
      stock.setupFunc?.(args.backend as tf.KernelBackend);
      stockReady = true;
    }
    return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  };
  const sum = (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const block = x.dtype === 'float32' ? reductionBlock(rank, axes) : undefined;
    if (!block) return delegate(args);
    const outShape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const out = allocate(backend, outShape, 'float32');
    const o = f32(backend, out);
    const v = f32(backend, x);
    if (block.kind === 'trailing') {
      // [rows, cols] → [rows]: one sum per row.
      const rows = tf.util.sizeFromShape(x.shape.slice(0, block.split));
      const cols = rows === 0 ? 0 : v.length / rows;
      for (let r = 0; r < rows; r++) {
        let s = 0;
        const base = r * cols;
        for (let c = 0; c < cols; c++) s += v[base + c];
        o[r] = s;
      }
    } else {
      // [rows, cols] → [cols]: accumulate row after row (contiguous reads).
      const cols = tf.util.sizeFromShape(x.shape.slice(block.split));
      const rows = cols === 0 ? 0 : v.length / cols;
      const acc = new Float64Array(cols);
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) acc[c] += v[base + c];
      }
      o.set(acc);
    }
    return out;
  };
  return { kernelName: tf.Sum, backendName: 'wasm', kernelFunc: sum as unknown as tf.KernelFunc };
}
