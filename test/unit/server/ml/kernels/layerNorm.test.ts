import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { fusedLayerNorm, hasFusedLayerNorm } from '../../../../../server/ml/kernels/layerNorm';
import { layerNormTfOps } from '../../../../../server/ml/model/ops';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (n: number, seed: number, scale = 3): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * scale + seed * 0.1);

type Norm = typeof layerNormTfOps;

/** Output and gradients (x, gamma, beta) of sum(norm(x) * w). */
function run(norm: Norm, n: number, h: number, eps: number): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor2d(values(n * h, 1), [n, h]);
    const g = tf.tensor1d(values(h, 2, 1));
    const b = tf.tensor1d(values(h, 3, 1));
    const w = tf.tensor2d(values(n * h, 4, 1), [n, h]);
    const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(norm(a as tf.Tensor2D, c as tf.Tensor1D, d as tf.Tensor1D, eps), w));
    const grads = tf.grads(f)([x, g, b]);
    return [norm(x, g, b, eps), ...grads].map((t) => Array.from(t.dataSync()));
  });
}

void describe('fused LayerNorm kernels', () => {
  void test('registered on wasm and cpu', async () => {
    assert.ok(hasFusedLayerNorm());
    assert.ok(await onBackend('cpu', hasFusedLayerNorm));
  });

  for (const [n, h, eps] of [
    [3, 8, 1e-12],
    [5, 32, 1e-5],
    [1, 1, 1e-12], // a single feature: output is beta, gradient of x is 0
    [4, 7, 1e-3],
  ] as const) {
    void test(`[${n}, ${h}] eps ${eps}: wasm fused = cpu fused = cpu composite (forward, dx, dgamma, dbeta)`, async () => {
      const before = tf.memory().numTensors;
      const wasm = run(fusedLayerNorm, n, h, eps);
      assert.equal(tf.memory().numTensors, before);
      const cpuFused = await onBackend('cpu', () => run(fusedLayerNorm, n, h, eps));
      const cpuComposite = await onBackend('cpu', () => run(layerNormTfOps, n, h, eps));
      for (let i = 0; i < 4; i++) {
        assert.ok(
          maxRelDiff(wasm[i], cpuComposite[i]) < 1e-4,
          `output ${i}: ${maxRelDiff(wasm[i], cpuComposite[i])}`,
        );
        assert.deepEqual(wasm[i], cpuFused[i]);
      }
    });
  }
});
