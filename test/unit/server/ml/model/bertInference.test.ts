/**
 * Parity of BERT's two forwards in the product: the inference path (model/bertInference.ts: one-launch kernels,
 * cached Q|K|V projections, queries for the target rows only) against the reference forward (model/bert.ts, what
 * training differentiates), on the same weights and batches, on wasm and cpu.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import type { BertMlm } from '../../../../../server/ml/model/bert';
import type { BertConfig, MlmBatch } from '../../../../../server/ml/types';
import { maxRelDiff, onBackend, tinyBatch } from './modelFixtures';

const VOCAB = 60;
const config: BertConfig = {
  ...bertPreset('tiny', VOCAB, 64),
  hiddenSize: 32,
  numAttentionHeads: 2,
  intermediateSize: 64,
  hiddenDropoutProb: 0.1, // off at inference: both forwards must ignore it
  attentionProbsDropoutProb: 0.1,
};

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const cases: Array<{ name: string; batch: MlmBatch }> = [
  { name: 'padding, 5 targets (queries for the target rows only)', batch: tinyBatch(2, 8, VOCAB, 5) },
  {
    name: 'no padding, a repeated target',
    batch: { ...tinyBatch(1, 9, VOCAB, 3), attentionMask: new Int32Array(9).fill(1) },
  },
  // 128 targets × 64 tokens × 32 wide is past the few-rows threshold: every query row is attended.
  { name: 'padding, 128 targets (full attention, then the rows)', batch: tinyBatch(4, 64, VOCAB, 128) },
];

const logits = (m: BertMlm, b: MlmBatch, path: 'inference' | 'reference'): Float32Array =>
  tf.tidy(
    () =>
      (path === 'inference'
        ? m.logitsAt(b.inputIds, b.attentionMask, b.batchSize, b.seqLen, b.maskedPositions)
        : m.referenceLogits(b)
      ).dataSync() as Float32Array,
  );

void describe('BERT inference path = reference forward (within 1e-5)', () => {
  for (const { name, batch } of cases) {
    for (const backend of ['wasm', 'cpu'] as const) {
      void test(`${backend}: ${name}`, async () => {
        const m = createModel(config, { seed: 21 }) as BertMlm;
        await onBackend(backend, () => {
          const fast = logits(m, batch, 'inference');
          const ref = logits(m, batch, 'reference');
          assert.equal(fast.length, batch.maskedPositions.length * VOCAB);
          assert.ok(maxRelDiff(fast, ref) < 1e-5, `max relative difference ${maxRelDiff(fast, ref)}`);
          // New weights (as after a training step or a checkpoint load) must not reuse a cached projection.
          const value = m.variables.get('bert.encoder.layer.1.attention.self.value.bias')!;
          value.assign(tf.tidy(() => tf.add(value, 1)));
          const fast2 = logits(m, batch, 'inference');
          assert.ok(maxRelDiff(fast2, fast) > 1e-4, 'the new value bias changed the logits');
          const ref2 = logits(m, batch, 'reference');
          assert.ok(maxRelDiff(fast2, ref2) < 1e-5, `after the change: ${maxRelDiff(fast2, ref2)}`);
        });
        m.dispose();
      });
    }
  }

  void test('a gradient step frees the cached projections; dispose frees everything', () => {
    const before = tf.memory().numTensors;
    const m = createModel(config, { seed: 22 }) as BertMlm;
    const params = tf.memory().numTensors;
    const { batch } = cases[0];
    logits(m, batch, 'inference');
    assert.ok(tf.memory().numTensors > params, 'inference caches the fused projections');
    const cached = tf.memory().numTensors;
    logits(m, batch, 'inference');
    assert.equal(tf.memory().numTensors, cached, 'a second call reuses them');
    const { value, grads } = tf.variableGrads(() => m.loss(batch, true).loss, [...m.variables.values()]);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, params, 'the training step freed the cache');
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
