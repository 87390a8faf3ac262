/**
 * Tensor storage for our JavaScript kernels on the two backends they are registered for: wasm (views into the
 * heap) and cpu (the backend's own arrays). Outputs are allocated first, then inputs and outputs are read as
 * Float32Arrays (a heap view taken before an allocation may be detached).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { allocate, f32, type WasmBackend } from './wasmHeap';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

export interface Store {
  /** A new float32 output. */
  out(shape: number[]): tf.TensorInfo;
  /** An input's data. */
  read(t: tf.TensorInfo): Float32Array;
  /** The array to fill for an output made by out(). */
  target(t: tf.TensorInfo): Float32Array;
}

export function wasmStore(b: unknown): Store {
  const backend = b as WasmBackend;
  return {
    out: (shape) => allocate(backend, shape, 'float32'),
    read: (t) => f32(backend, t),
    target: (t) => f32(backend, t),
  };
}

interface CpuLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

export function cpuStore(b: unknown): Store {
  const backend = b as CpuLike;
  return {
    // The cpu backend keeps the array it is given by reference: fill it afterwards.
    out: (shape) =>
      backend.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((x, y) => x * y, 1))),
    read: (t) => backend.data.get(t.dataId).values,
    target: (t) => backend.data.get(t.dataId).values,
  };
}
