/**
 * The webgpu tier's shared set-up: every file runs on `backend: "webgpu"` (in CI Mesa's software Vulkan adapter,
 * lavapipe) and compares against the pure-JS cpu backend. WebGPU has no synchronous read in Node, so results are
 * read with `await data()`; tensors never cross backends (a model is built on each from the same seed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, silenceCpuAdvice, type BackendInfo } from '../../server/ml/backend';

// The same helpers as the unit tier's model tests (asynchronous reads: they work on webgpu).
export { lossAndGrads, maxRelDiff } from '../unit/server/ml/model/modelFixtures';

/** Starts the webgpu backend (once per process); the tier runner checked beforehand that an adapter exists. */
export function startWebgpu(): Promise<BackendInfo> {
  return initBackend({ backend: 'webgpu' });
}

/** Runs f with the cpu backend active and switches back to webgpu. */
export async function onCpu<T>(f: () => T | Promise<T>): Promise<T> {
  await tf.setBackend('cpu');
  silenceCpuAdvice();
  try {
    return await f();
  } finally {
    await tf.setBackend('webgpu');
  }
}
