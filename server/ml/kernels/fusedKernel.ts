/**
 * Our fused kernels (LayerNorm, GELU, AdamW, squared norm): registered for wasm and cpu by defineFusedKernel,
 * with one body for both that reads and writes tensors through a Store: views into the heap on wasm, the
 * backend's own arrays on cpu. Outputs are allocated first, then inputs and outputs are read as Float32Arrays
 * (a heap view taken before an allocation may be detached).
 */
import * as tf from '@tensorflow/tfjs-core';
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

/**
 * One kernel's registrations for wasm and cpu, running `run` with the backend's Store; `wasm` is true on the
 * wasm backend (where the kernel may call its SIMD module on the heap).
 */
export function defineFusedKernel(
  kernelName: string,
  run: (s: Store, args: KernelArgs, wasm: boolean) => tf.TensorInfo | tf.TensorInfo[],
): tf.KernelConfig[] {
  return (
    [
      ['wasm', wasmStore],
      ['cpu', cpuStore],
    ] as const
  ).map(([backendName, store]) => ({
    kernelName,
    backendName,
    kernelFunc: ((args: KernelArgs) =>
      run(store(args.backend), args, backendName === 'wasm')) as unknown as tf.KernelFunc,
  }));
}

/** True when the active backend has the kernel (our fused ones exist on wasm and cpu only). */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
