import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerFusedKernels } from '../../../../../server/ml/kernels';
import { AdamW } from '../../../../../server/ml/train/adamw';

void before(async () => {
  registerFusedKernels();
  await tf.setBackend('cpu');
});

void describe('AdamW', () => {
  for (const fused of [false, true])
    void test(`one step equals the hand-computed torch.optim.AdamW update (decay on weights, not on biases), ${fused ? 'fused kernel' : 'tf ops'}`, async () => {
      const w = tf.variable(tf.tensor1d([1, -2]), true, 'w');
      const b = tf.variable(tf.tensor1d([0.5]), true, 'b');
      const params = new Map([
        ['layer.dense.weight', w],
        ['layer.dense.bias', b],
      ]);
      const opt = new AdamW(params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
      const g = new Map([
        ['layer.dense.weight', tf.tensor1d([0.5, 0.1])],
        ['layer.dense.bias', tf.tensor1d([-0.2])],
      ]);
      // Step 1 by hand: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so p ← p(1 − lr·wd) − lr · g / (|g| + ε).
      // w: [1·(1 − 0.001) − 0.1·0.5/(0.5+1e-8), −2·0.999 − 0.1·0.1/(0.1+1e-8)] = [0.89900000, −2.09800000]
      // b (no decay): 0.5 + 0.1 · 0.2/(0.2+1e-8) = 0.6
      opt.apply(g, 0.1, 1, fused);
      const wv = w.dataSync();
      assert.ok(Math.abs(wv[0] - 0.899) < 1e-6 && Math.abs(wv[1] - -2.098) < 1e-6, `w = ${wv}`);
      assert.ok(Math.abs(b.dataSync()[0] - 0.6) < 1e-6, `b = ${b.dataSync()}`);

      // Step 2 with the same gradient, reference computed in float64:
      const ref = (p: number, gr: number, decay: boolean) => {
        let m = 0.1 * gr;
        let v = 0.001 * gr * gr;
        m = 0.9 * m + 0.1 * gr;
        v = 0.999 * v + 0.001 * gr * gr;
        const denom = Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8;
        return (decay ? p * (1 - 0.1 * 0.01) : p) - (0.1 / (1 - 0.9 ** 2)) * (m / denom);
      };
      const expected = [ref(0.899, 0.5, true), ref(-2.098, 0.1, true)];
      opt.apply(g, 0.1, 1, fused);
      const w2 = w.dataSync();
      assert.ok(
        Math.abs(w2[0] - expected[0]) < 1e-5 && Math.abs(w2[1] - expected[1]) < 1e-5,
        `${w2} vs ${expected}`,
      );
      assert.equal(opt.step, 2);

      // State round trip.
      const state = await opt.getState();
      assert.deepEqual([...state.tensors.keys()].sort(), [
        'layer.dense.bias.exp_avg',
        'layer.dense.bias.exp_avg_sq',
        'layer.dense.weight.exp_avg',
        'layer.dense.weight.exp_avg_sq',
      ]);
      const opt2 = new AdamW(params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
      opt2.setState(state);
      assert.deepEqual(await opt2.getState(), state);
      const before = tf.memory().numTensors;
      opt2.apply(g, 0.1, 1, fused);
      assert.equal(tf.memory().numTensors, before, 'apply is leak-free');
      for (const t of g.values()) t.dispose();
      opt.dispose();
      opt2.dispose();
      w.dispose();
      b.dispose();
    });
});
