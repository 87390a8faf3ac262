import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { hasFusedAdamW, hasSimdAdamW } from '../../../../../server/ml/kernels/fusedAdamW';
import {
  fusedSquaredNorm,
  hasFusedSquaredNorm,
  hasSimdSquaredNorm,
} from '../../../../../server/ml/kernels/squaredNorm';
import { SeededRng } from '../../../../../server/ml/data/rng';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

/**
 * Decayed weights, a bias and a LayerNorm weight (no decay); sizes 561, 17, 9, 1 exercise the SIMD loop on wasm,
 * its JavaScript tail (size mod 4) and a tensor with no SIMD part.
 */
const SHAPES: [string, number[]][] = [
  ['encoder.layer.0.intermediate.dense.weight', [33, 17]],
  ['encoder.layer.0.intermediate.dense.bias', [17]],
  ['encoder.layer.0.output.LayerNorm.weight', [9]],
  ['cls.predictions.transform.dense.weight', [1, 1]],
];

function randomArray(rng: SeededRng, n: number, scale: number): Float32Array {
  // Mixed magnitudes, exact zeros included (rows an embedding gradient never touches).
  return Float32Array.from({ length: n }, (_, i) =>
    i % 7 === 3 ? 0 : (rng.next() * 2 - 1) * scale * 10 ** Math.floor(rng.next() * 4 - 2),
  );
}

/** Parameters and moments after `steps` updates by the fused kernel or the tf ops, from the same data. */
async function train(
  fused: boolean,
  steps: { lr: number; gradScale: number }[],
): Promise<Map<string, Float32Array>> {
  const rng = new SeededRng(11);
  const params = new Map(
    SHAPES.map(([n, s]) => [n, tf.variable(tf.tensor(randomArray(rng, sizeOf(s), 1), s))]),
  );
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
  const before = tf.memory().numTensors;
  for (const { lr, gradScale } of steps) {
    const grads = new Map(SHAPES.map(([n, s]) => [n, tf.tensor(randomArray(rng, sizeOf(s), 0.3), s)]));
    opt.apply(grads, lr, gradScale, fused);
    tf.dispose([...grads.values()]);
  }
  assert.equal(tf.memory().numTensors, before, `apply (fused ${fused}) leaves no tensor behind`);
  const out = new Map<string, Float32Array>();
  for (const [n, p] of params) out.set(n, p.dataSync() as Float32Array);
  for (const [n, t] of (await opt.getState()).tensors) out.set(n, t.data);
  opt.dispose();
  tf.dispose([...params.values()]);
  return out;
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

const STEPS = [
  { lr: 1e-3, gradScale: 1 },
  { lr: 2e-3, gradScale: 0.5 },
  { lr: 5e-4, gradScale: 1 },
  { lr: 1e-3, gradScale: 0.125 },
  { lr: 0, gradScale: 1 },
];

void describe('fused AdamW and gradient-norm kernels', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    void test(`${backend}: registered (with the SIMD update on wasm)`, async () => {
      const got = await onBackend(backend, () => [
        hasFusedAdamW(),
        hasFusedSquaredNorm(),
        hasSimdAdamW(),
        hasSimdSquaredNorm(),
      ]);
      const wasm = backend === 'wasm';
      assert.deepEqual(got, [true, true, wasm, wasm], 'fused AdamW and norm; their SIMD loops on wasm only');
    });

    void test(`${backend}: ${STEPS.length} fused steps equal the tf-op update to the bit (params, exp_avg, exp_avg_sq)`, async () => {
      const [fused, ops] = await onBackend(backend, async () => [
        await train(true, STEPS),
        await train(false, STEPS),
      ]);
      assert.deepEqual([...fused.keys()], [...ops.keys()], 'same parameters and optimizer-state names');
      // Same float32 operations in the same order (SIMD on wasm, JavaScript for the tail and on cpu): same bits.
      for (const [name, a] of fused) assert.deepEqual(a, ops.get(name), name);
    });

    void test(`${backend}: the fused squared norm equals Σ sum(square(g)) within 1e-6`, async () => {
      const [fused, ops] = await onBackend(backend, () => {
        const rng = new SeededRng(5);
        const gs = SHAPES.map(([, s]) => tf.tensor(randomArray(rng, sizeOf(s), 2), s));
        const before = tf.memory().numTensors;
        const r = tf.tidy(() => [
          fusedSquaredNorm(gs).dataSync()[0],
          tf.addN(gs.map((g) => tf.sum(tf.square(g)))).dataSync()[0],
        ]);
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
        tf.dispose(gs);
        return r;
      });
      assert.ok(Math.abs(fused - ops) / ops < 1e-6, `${fused} vs ${ops}`);
    });
  }
});
