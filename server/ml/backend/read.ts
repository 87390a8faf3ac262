/**
 * Reading tensors on every backend. WebGPU in Node has no synchronous read (tfjs-backend-webgpu's readSync needs a
 * browser's OffscreenCanvas), so code that reads values either awaits `data()` or calls `prefetch` first: it
 * downloads the tensors asynchronously, and tfjs keeps the values on the CPU next to the GPU buffer, so a later
 * `dataSync()` of the same tensors returns them. On wasm, cpu and the native backends it does nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfDeviceError } from './webgpu';

/** True when the active backend cannot read synchronously (webgpu). */
export function needsAsyncRead(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** Makes `dataSync()` of these tensors work on the active backend (see above); resolves once they are readable. */
export async function prefetch(tensors: Iterable<tf.Tensor>): Promise<void> {
  if (!needsAsyncRead()) return;
  await Promise.all([...tensors].map((t) => t.data()));
  throwIfDeviceError();
}

/** `t.data()` that also throws a device error Dawn reported meanwhile (webgpu: see throwIfDeviceError). */
export async function readData(t: tf.Tensor): Promise<tf.TypedArray> {
  const v = (await t.data()) as tf.TypedArray;
  if (needsAsyncRead()) throwIfDeviceError();
  return v;
}
