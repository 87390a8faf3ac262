import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { trainStep } from '../../../../../server/ml/train/step';
import type { MlmBatch, MlmModel } from '../../../../../server/ml/types';
import { paddedMaskedBatches } from './trainFixtures';

const V = 40;

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

function setup(): { model: MlmModel; opt: AdamW; batches: MlmBatch[] } {
  const model = createModel(
    {
      ...bertPreset('tiny', V, 16),
      hiddenSize: 16,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 32,
    },
    { seed: 3 },
  );
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
  const batches = paddedMaskedBatches(4, 4, V);
  return { model, opt, batches };
}

const snapshot = (m: MlmModel) =>
  new Map([...m.variables].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));

void describe('trainStep', async () => {
  void test('tf.memory().numTensors is the same before and after 20 training steps (with accumulation and clipping)', async () => {
    const { model, opt, batches } = setup();
    const before = tf.memory().numTensors;
    let last = Infinity;
    for (let i = 0; i < 20; i++) {
      const r = await trainStep(model, opt, [batches[i % 4], batches[(i + 1) % 4]], {
        lr: 0.01,
        clipNorm: 0.5,
      });
      assert.ok(r.applied);
      last = r.loss;
    }
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Number.isFinite(last));
    opt.dispose();
    model.dispose();
  });

  void test('a non-finite loss skips the update (weights and optimizer unchanged)', async () => {
    const { model, opt, batches } = setup();
    await trainStep(model, opt, [batches[0]], { lr: 0.01, clipNorm: 1 });
    // Inject the fault: the same real model, with its loss multiplied by NaN for this batch.
    const poisoned: MlmModel = Object.create(model) as MlmModel;
    poisoned.loss = (b, training) => {
      const out = model.loss(b, training);
      return { loss: tf.mul(out.loss, NaN) as tf.Scalar, logits: out.logits };
    };
    const w0 = snapshot(model);
    const step0 = opt.step;
    const before = tf.memory().numTensors;
    const r = await trainStep(poisoned, opt, [batches[1]], { lr: 0.01, clipNorm: 1 });
    assert.equal(r.applied, false);
    assert.ok(Number.isNaN(r.loss));
    assert.equal(opt.step, step0);
    assert.deepEqual(snapshot(model), w0);
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    model.dispose();
  });

  void test('gradient accumulation over k micro-batches equals one step on their mean gradient', async () => {
    const a = setup();
    const b = setup();
    await trainStep(a.model, a.opt, [a.batches[0], a.batches[1]], { lr: 0.01, clipNorm: null });
    // Reference: average the two gradients by hand and apply them with a fresh optimizer.
    const vars = [...b.model.variables.values()];
    const g = [b.batches[0], b.batches[1]].map((batch) =>
      tf.variableGrads(() => b.model.loss(batch, true).loss, vars),
    );
    const mean = new Map(
      [...b.model.variables].map(
        ([n, v]) => [n, tf.div(tf.add(g[0].grads[v.name], g[1].grads[v.name]), 2)] as const,
      ),
    );
    b.opt.apply(mean, 0.01);
    const sa = snapshot(a.model);
    for (const [n, w] of snapshot(b.model)) {
      const x = sa.get(n)!;
      let diff = 0;
      for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(w[i] - x[i]));
      assert.ok(diff < 1e-5, `${n}: ${diff}`);
    }
    for (const x of g) tf.dispose([x.value, ...Object.values(x.grads)]);
    tf.dispose([...mean.values()]);
    for (const s of [a, b]) {
      s.opt.dispose();
      s.model.dispose();
    }
  });
});
