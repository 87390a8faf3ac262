/**
 * Helpers for kernels written in JavaScript that run on tfjs's wasm backend: they read and write the
 * tensors in the wasm heap directly. Views must be taken after every allocation (the heap may grow and
 * detach older views), so kernels allocate their outputs first.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;

/** Output tensor in the wasm heap; write it through f32(backend, out) afterwards. */
export function allocate(backend: WasmBackend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/**
 * On the threaded binary the heap is a growable SharedArrayBuffer and Emscripten refreshes Module.HEAPU8 (which
 * tfjs reads) lazily: make sure it spans the whole memory before taking views.
 */
export function syncHeap(backend: WasmBackend): void {
  const w = backend.wasm as unknown as { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory };
  const buffer = w.wasmMemory?.buffer;
  if (buffer && buffer.byteLength !== w.HEAPU8.byteLength) w.HEAPU8 = new Uint8Array(buffer);
}

/** A view of any tensor's data in the heap (take it after the last allocation). */
export function heapView(backend: WasmBackend, t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  syncHeap(backend);
  return backend.typedArrayFromHeap(t);
}

export function f32(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  return heapView(backend, t) as Float32Array;
}

export function i32(backend: WasmBackend, t: tf.TensorInfo): Int32Array {
  return heapView(backend, t) as Int32Array;
}

/** Float32 or Int32 view, as the tensor's dtype says (bool is not used by our kernels). */
export function numeric(backend: WasmBackend, t: tf.TensorInfo): Float32Array | Int32Array {
  if (t.dtype === 'float32') return f32(backend, t);
  if (t.dtype === 'int32') return i32(backend, t);
  throw new Error(`kernel input has dtype ${t.dtype}; expected float32 or int32`);
}

const stockCache = new WeakMap<WasmBackend, Map<string, unknown>>();

/**
 * A C entry point of the tfjs wasm module (a stock kernel, called with tensor ids and shapes), wrapped once per
 * backend: the overrides that drive XNNPACK through the stock kernels (BatchMatMul, _FusedMatMul) use it.
 */
export function stockKernel<F>(backend: WasmBackend, name: string, argTypes: string[]): F {
  let byName = stockCache.get(backend);
  if (!byName) stockCache.set(backend, (byName = new Map()));
  let f = byName.get(name) as F | undefined;
  if (!f) {
    const wasm = backend.wasm as unknown as { cwrap(name: string, ret: null, args: string[]): F };
    f = wasm.cwrap(name, null, argTypes);
    byName.set(name, f);
  }
  return f;
}

/** A shape as the stock kernels take it: int32 bytes. */
export const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);
