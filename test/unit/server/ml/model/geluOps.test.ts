import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { geluSimdStats } from '../../../../../server/ml/kernels/gelu';
import { gelu, geluAutodiff, geluTfOps } from '../../../../../server/ml/model/ops';
import { maxRelDiff, onBackend } from './modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

type Gelu = typeof geluAutodiff;

/** gelu(x) and d/dx of sum(gelu(x) · w), as arrays; x spans [−8, 8] (both tails) and hits 0 exactly. */
function run(f: Gelu, n: number): number[][] {
  return tf.tidy(() => {
    const xs = Float32Array.from({ length: n * 8 }, (_, i) => -8 + (16 * i) / (n * 8 - 1) + (i % 3) * 1e-3);
    xs[1] = 0;
    const x = tf.tensor2d(xs, [n, 8]);
    const w = tf.tensor2d(
      Float32Array.from({ length: n * 8 }, (_, i) => Math.cos(i * 0.7) * 2),
      [n, 8],
    );
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), w)))(x);
    return [f(x), dx].map((t) => Array.from(t.dataSync()));
  });
}

void describe('GELU', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const n of [1, 129]) {
      void test(`${backend} [${n}, 8] tf ops with the hand-written gradient: forward equal, gradient within 1e-6 of autodiff`, async () => {
        const [ours, ref, before, after] = await onBackend(backend, () => {
          const b = tf.memory().numTensors;
          const o = run(geluTfOps, n);
          const a = tf.memory().numTensors;
          return [o, run(geluAutodiff, n), b, a] as const;
        });
        assert.equal(after, before, 'no tensor left behind');
        assert.deepEqual(ours[0], ref[0], 'forward');
        assert.ok(maxRelDiff(ours[1], ref[1]) < 1e-6, `gradient: ${maxRelDiff(ours[1], ref[1])}`);
      });

      void test(`${backend} [${n}, 8] gelu (the fused kernels): forward and gradient within 1e-6 of the tf ops`, async () => {
        const simd = geluSimdStats.elements;
        const [ours, ref, before, after] = await onBackend(backend, () => {
          const b = tf.memory().numTensors;
          const o = run(gelu, n);
          const a = tf.memory().numTensors;
          return [o, run(geluTfOps, n), b, a] as const;
        });
        assert.equal(after, before, 'no tensor left behind');
        assert.equal(geluSimdStats.elements > simd, backend === 'wasm', 'the SIMD kernel ran on wasm only');
        assert.ok(maxRelDiff(ours[0], ref[0]) < 1e-6, `forward: ${maxRelDiff(ours[0], ref[0])}`);
        assert.ok(maxRelDiff(ours[1], ref[1]) < 1e-6, `gradient: ${maxRelDiff(ours[1], ref[1])}`);
      });
    }
  }
});
