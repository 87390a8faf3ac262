/**
 * The webgpu tier's shared set-up: every file runs on `backend: "webgpu"` (in CI Mesa's software Vulkan adapter,
 * lavapipe) and compares against the pure-JS cpu backend. WebGPU has no synchronous read in Node, so results are
 * read with `await data()`; tensors never cross backends (a model is built on each from the same seed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, silenceCpuAdvice, type BackendInfo } from '../../server/ml/backend';
import type { MlmBatch, MlmModel } from '../../server/ml/types';

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

/** Loss and gradients (by parameter name) on the active backend, read asynchronously; nothing left allocated. */
export async function lossAndGrads(
  model: MlmModel,
  batch: MlmBatch,
  training: boolean,
): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  model.setRngState?.(0);
  const { value, grads } = tf.variableGrads(
    () => model.loss(batch, training).loss,
    [...model.variables.values()],
  );
  const byVarName = new Map([...model.variables].map(([k, v]) => [v.name, k]));
  const out = new Map<string, Float32Array>();
  for (const [varName, g] of Object.entries(grads)) {
    out.set(byVarName.get(varName) ?? varName, (await g.data()) as Float32Array);
  }
  const loss = (await value.data())[0];
  value.dispose();
  tf.dispose(grads);
  return { loss, grads: out };
}

/** Largest |a − b| / (1 + |b|): relative for large values, absolute near 0. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}
