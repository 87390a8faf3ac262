/**
 * BERT and BiGRU on webgpu against the cpu backend: the same seeded model built on each, the same batch.
 * Tolerances: logits and loss 1e-4 relative, every gradient 1e-4 relative (float32 on both; the orders of
 * summation differ).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { bertPreset, bigruConfig, createModel } from '../../server/ml/model';
import type { ModelConfig } from '../../server/ml/types';
import { tinyBatch } from '../unit/server/ml/model/modelFixtures';
import { lossAndGrads, maxRelDiff, onCpu, startWebgpu } from './helpers';

const VOCAB = 50;
const models: Array<[string, ModelConfig]> = [
  ['bert', { ...bertPreset('tiny', VOCAB, 16), hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 }],
  ['bigru', bigruConfig(VOCAB, { embeddingDim: 8, gruUnits: 12, maxPositionEmbeddings: 16 })],
];

void before(async () => {
  const info = await startWebgpu();
  assert.equal(info.name, 'webgpu');
});

void describe('models on webgpu = cpu', () => {
  for (const [arch, config] of models) {
    void test(`${arch}: inference logits within 1e-4`, async () => {
      const batch = tinyBatch(2, 8, VOCAB, 5);
      const logits = async (): Promise<Float32Array> => {
        const m = createModel(config, { seed: 7 });
        const t = m.logitsAt(batch.inputIds, batch.attentionMask, 2, 8, batch.maskedPositions);
        const out = (await t.data()) as Float32Array;
        t.dispose();
        m.dispose();
        return out;
      };
      const before = tf.memory().numTensors;
      const gpu = await logits();
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      const cpu = await onCpu(logits);
      assert.equal(gpu.length, 5 * VOCAB);
      const d = maxRelDiff(gpu, cpu);
      assert.ok(d < 1e-4, `max relative difference ${d}`);
    });

    void test(`${arch}: training loss and every gradient within 1e-4 (with dropout)`, async () => {
      const batch = tinyBatch(2, 8, VOCAB, 5);
      const run = async () => {
        const m = createModel(config, { seed: 3 });
        const r = await lossAndGrads(m, batch, true);
        m.dispose();
        return r;
      };
      const gpu = await run();
      const cpu = await onCpu(run);
      assert.ok(
        Math.abs(gpu.loss - cpu.loss) < 1e-4 * (1 + Math.abs(cpu.loss)),
        `${gpu.loss} vs ${cpu.loss}`,
      );
      assert.equal(gpu.grads.size, cpu.grads.size);
      for (const [name, g] of gpu.grads) {
        const d = maxRelDiff(g, cpu.grads.get(name)!);
        assert.ok(d < 1e-4, `${name}: ${d}`);
      }
    });
  }
});
