/** Tiny batches and helpers shared by the model, kernel and inference tests. */
import * as tf from '@tensorflow/tfjs-core';
import { silenceCpuAdvice } from '../../../../../server/ml/backend';
import type { MlmBatch, MlmModel } from '../../../../../server/ml/types';

/** A deterministic batch: ids cycle through the vocabulary, the last row is half padding. */
export function tinyBatch(batchSize: number, seqLen: number, vocab: number, targets = 4): MlmBatch {
  const n = batchSize * seqLen;
  const inputIds = new Int32Array(n).map((_, i) => (i * 7 + 3) % vocab);
  const attentionMask = new Int32Array(n).fill(1);
  for (let t = Math.ceil(seqLen / 2); t < seqLen; t++) attentionMask[(batchSize - 1) * seqLen + t] = 0;
  const maskedPositions = new Int32Array(targets).map((_, i) => (i * 5 + 1) % Math.floor(n / 2));
  const labels = maskedPositions.map((p) => (p * 3 + 1) % vocab);
  return { batchSize, seqLen, inputIds, attentionMask, maskedPositions, labels };
}

/**
 * Loss and gradients by parameter name as plain arrays (nothing left allocated), read asynchronously: every backend,
 * webgpu included (test/webgpu uses it too).
 */
export async function lossAndGrads(
  model: MlmModel,
  batch: MlmBatch,
  training: boolean,
): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  model.setRngState?.(0);
  const names = [...model.variables.keys()];
  const { value, grads } = tf.variableGrads(
    () => model.loss(batch, training).loss,
    [...model.variables.values()],
  );
  const out = new Map<string, Float32Array>();
  const byVarName = new Map([...model.variables].map(([k, v]) => [v.name, k]));
  for (const [varName, g] of Object.entries(grads))
    out.set(byVarName.get(varName) ?? varName, (await g.data()) as Float32Array);
  const loss = (await value.data())[0];
  value.dispose();
  tf.dispose(grads);
  if (out.size !== names.length) throw new Error(`got ${out.size} gradients for ${names.length} parameters`);
  return { loss, grads: out };
}

/** Largest |a - b| / (1 + |b|) over two arrays of the same length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}

/** Runs f on the given backend and switches back to wasm. */
export async function onBackend<T>(name: 'cpu' | 'wasm', f: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(name);
  silenceCpuAdvice();
  try {
    return await f();
  } finally {
    await tf.setBackend('wasm');
  }
}
