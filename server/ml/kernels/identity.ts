/**
 * Identity for wasm that shares the input's memory (reference counted) instead of copying it, as the cpu
 * backend does. The engine clones every tensor it saves for the backward pass through Identity, so the
 * stock copying kernel cost a full copy of every saved activation per training step. Tensor data is never
 * written after creation, so sharing is safe (the stock Reshape shares the same way).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasmHeap';

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as tf.KernelFunc,
};
