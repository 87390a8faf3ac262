/**
 * Slice and GatherV2 for wasm as heap-to-heap copies. The stock Slice first copies its whole input out of
 * the heap (readSync) — 130 µs to take 32 rows of the [512, 256] position table, and three full copies for
 * every unstack — and the stock Gather copies element by element (30 ms for the 4096 embedding rows of a
 * W1 batch). Here a contiguous slice is one copyWithin and a gather along axis 0 one copyWithin per index.
 * Other cases (strided slices, other axes, batchDims, strings) go to the stock kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { syncHeap, type WasmBackend } from './wasmHeap';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function delegateTo(name: string, stock: tf.KernelConfig | undefined): (args: KernelArgs) => tf.TensorInfo {
  let ready = false;
  return (args) => {
    if (!stock) throw new Error(`the wasm backend has no ${name} kernel to fall back to`);
    if (!ready) {
      stock.setupFunc?.(args.backend as tf.KernelBackend);
      ready = true;
    }
    return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  };
}

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

function offset(backend: WasmBackend, t: tf.TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as unknown as { memoryOffset: number }).memoryOffset;
}

function heapU8(backend: WasmBackend): Uint8Array {
  syncHeap(backend);
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

export function makeSliceConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  const delegate = delegateTo(tf.Slice, stock);
  const slice = (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const bpe = BYTES[x.dtype];
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (!bpe || !tf.slice_util.isSliceContinous(x.shape, b, s)) return delegate(args);
    const out = backend.makeOutput(s, x.dtype);
    const n = tf.util.sizeFromShape(s);
    if (n > 0) {
      const from =
        offset(backend, x) + tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape)) * bpe;
      heapU8(backend).copyWithin(offset(backend, out), from, from + n * bpe);
    }
    return out;
  };
  return { kernelName: tf.Slice, backendName: 'wasm', kernelFunc: slice as unknown as tf.KernelFunc };
}

export function makeGatherConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  const delegate = delegateTo(tf.GatherV2, stock);
  const gather = (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const bpe = BYTES[x.dtype];
    const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
    if (!bpe || parsedAxis !== 0 || batchDims !== 0 || indices.dtype !== 'int32' || x.shape.length === 0) {
      return delegate(args);
    }
    const rows = x.shape[0];
    const rowBytes = tf.util.sizeFromShape(x.shape.slice(1)) * bpe;
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const count = tf.util.sizeFromShape(indices.shape);
    const heap = heapU8(backend);
    const idx = new Int32Array(heap.buffer, offset(backend, indices), count);
    const src = offset(backend, x);
    const dst = offset(backend, out);
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (!(r >= 0 && r < rows)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      }
      if (rowBytes > 0) heap.copyWithin(dst + i * rowBytes, src + r * rowBytes, src + (r + 1) * rowBytes);
    }
    return out;
  };
  return { kernelName: tf.GatherV2, backendName: 'wasm', kernelFunc: gather as unknown as tf.KernelFunc };
}

/** Unpack (unstack) along an axis with nothing but size-1 axes before it: one heap copy per output. */
export function makeUnpackConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  const delegate = delegateTo(tf.Unpack, stock);
  const unpack = (args: KernelArgs): tf.TensorInfo[] => {
    const backend = args.backend as WasmBackend;
    const { value } = args.inputs as { value: tf.TensorInfo };
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, value.shape)[0];
    const bpe = BYTES[value.dtype];
    if (!bpe || tf.util.sizeFromShape(value.shape.slice(0, axis)) !== 1) {
      return delegate(args) as unknown as tf.TensorInfo[];
    }
    const outShape = value.shape.filter((_, i) => i !== axis);
    const bytes = tf.util.sizeFromShape(outShape) * bpe;
    const outs = Array.from({ length: value.shape[axis] }, () => backend.makeOutput(outShape, value.dtype));
    const heap = heapU8(backend);
    const src = offset(backend, value);
    outs.forEach((o, i) => heap.copyWithin(offset(backend, o), src + i * bytes, src + (i + 1) * bytes));
    return outs;
  };
  return { kernelName: tf.Unpack, backendName: 'wasm', kernelFunc: unpack as unknown as tf.KernelFunc };
}
