/** Transpose for wasm, computed in JavaScript on the heap by permute() (tiled; row copies when possible). */
import * as tf from '@tensorflow/tfjs-core';
import { permute } from './permute';
import { allocate, heapView, type WasmBackend } from './wasmHeap';

export function transposeInto(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  const outShape = perm.map((a) => x.shape[a]);
  const out = allocate(backend, outShape, x.dtype);
  const src = heapView(backend, x);
  const dst = heapView(backend, out);
  permute(src, x.shape, perm, dst);
  return out;
}

function transpose(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = args.attrs as { perm: number[] };
  return transposeInto(args.backend as WasmBackend, x, perm);
}

export const transposeConfig: tf.KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: transpose as unknown as tf.KernelFunc,
};
