/** Layer-wise learning-rate decay: one step = an AdamW step per parameter at lr × decay^(L + 1 − depth). */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { depthOf, LayerwiseAdamW } from '../../../../../server/ml/finetune/layerwise';
import { AdamW } from '../../../../../server/ml/train/adamw';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const OPTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };

void describe('layer-wise learning-rate decay', () => {
  void test('depths: embeddings 0, layer i → i + 1, the head L + 1', () => {
    assert.equal(depthOf('bert.embeddings.word_embeddings.weight', 2), 0);
    assert.equal(depthOf('bert.encoder.layer.1.output.dense.weight', 2), 2);
    assert.equal(depthOf('bert.pooler.dense.weight', 2), 3);
    assert.equal(depthOf('classifier.bias', 2), 3);
  });

  void test('two steps equal per-parameter AdamW at the scaled rates (same step count)', () => {
    const names = ['bert.embeddings.x.weight', 'bert.encoder.layer.0.y.weight', 'classifier.weight'];
    const scales = [0.25, 0.5, 1]; // decay 0.5, one layer
    const init = [1, -2, 3];
    const mk = () =>
      new Map(names.map((n, i) => [n, tf.variable(tf.fill([2], init[i]), true, `${n}-${Math.random()}`)]));
    const ours = mk();
    const opt = new LayerwiseAdamW(ours, OPTS, 1, 0.5);
    const ref = names.map((n, i) => {
      const v = tf.variable(tf.fill([2], init[i]), true);
      return { v, opt: new AdamW(new Map([[n, v]]), OPTS) };
    });
    for (const lr of [0.1, 0.05]) {
      const grads = new Map(names.map((n, i) => [n, tf.tensor1d([i + 1, -(i + 1) / 2])]));
      opt.apply(grads, lr);
      names.forEach((n, i) => ref[i].opt.apply(new Map([[n, grads.get(n)!]]), lr * scales[i]));
      tf.dispose([...grads.values()]);
    }
    assert.equal(opt.step, 2);
    names.forEach((n, i) => {
      const a = ours.get(n)!.dataSync();
      const b = ref[i].v.dataSync();
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-7, `${n}: ${a[k]} vs ${b[k]}`);
    });
    opt.dispose();
    ref.forEach((r) => r.opt.dispose());
    tf.dispose([...ours.values(), ...ref.map((r) => r.v)]);
  });
});
