/**
 * Training and fill-mask on webgpu against the cpu backend. Tolerances: 20 seeded AdamW steps (dropout on,
 * clipping on) match cpu within 1e-3 in loss at every step; a tiny run's checkpoint gives the same fill-mask
 * top-5 (tokens equal, scores within 1e-4) on webgpu and cpu; the tensor count is flat from step to step.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { loadRunForInference } from '../../server/ml/checkpoint';
import { fillMask } from '../../server/ml/infer/fillMask';
import { bertPreset, bigruConfig, createModel } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { runTraining } from '../../server/ml/train/run';
import { trainStep } from '../../server/ml/train/step';
import type { ModelConfig } from '../../server/ml/types';
import { paddedMaskedBatches, syntheticWorkspace, tinyConfig } from '../unit/server/ml/train/trainFixtures';
import { onCpu, startWebgpu } from './helpers';

const V = 40;
const STEPS = 20;
const models: Array<[string, ModelConfig]> = [
  [
    'bert',
    {
      ...bertPreset('tiny', V, 16),
      hiddenSize: 16,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      intermediateSize: 32,
    },
  ],
  ['bigru', bigruConfig(V, { embeddingDim: 8, gruUnits: 12, maxPositionEmbeddings: 16 })],
];

let ws: string;
void before(async () => {
  await startWebgpu();
  ws = syntheticWorkspace(3, 60);
});
void after(() => fs.rmSync(ws, { recursive: true, force: true }));

/** Losses of STEPS AdamW steps on the active backend, and the tensor counts after each step. */
async function losses(config: ModelConfig): Promise<{ losses: number[]; counts: number[] }> {
  const model = createModel(config, { seed: 3 });
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
  const batches = paddedMaskedBatches(4, 4, V);
  const out = { losses: [] as number[], counts: [] as number[] };
  for (let i = 0; i < STEPS; i++) {
    const r = await trainStep(model, opt, [batches[i % 4]], { lr: 3e-3, clipNorm: 1 });
    assert.ok(r.applied);
    out.losses.push(r.loss);
    out.counts.push(tf.memory().numTensors);
  }
  opt.dispose();
  model.dispose();
  return out;
}

void describe('training on webgpu = cpu', () => {
  for (const [arch, config] of models) {
    void test(`${arch}: ${STEPS} seeded AdamW steps, loss within 1e-3 at every step, no tensor leak`, async () => {
      const gpu = await losses(config);
      const cpu = await onCpu(() => losses(config));
      for (let i = 0; i < STEPS; i++) {
        assert.ok(
          Math.abs(gpu.losses[i] - cpu.losses[i]) < 1e-3,
          `step ${i}: ${gpu.losses[i]} vs ${cpu.losses[i]}`,
        );
      }
      assert.ok(gpu.losses[STEPS - 1] < gpu.losses[0], 'the loss falls');
      // The first step creates the optimizer's moments; from then on every step frees what it makes.
      assert.deepEqual(new Set(gpu.counts.slice(1)), new Set([gpu.counts[1]]), `tensor counts ${gpu.counts}`);
    });
  }

  void test('a tiny run trains on webgpu, checkpoints, and its fill-mask top-5 equals cpu', async () => {
    const s = await runTraining(
      tinyConfig({
        backend: 'webgpu',
        data: { mode: 'line', seqLen: 16 },
        training: { maxSteps: 12, evalEvery: 6, batchSize: 8, lr: 0.005 },
        checkpoint: { every: 6 },
      }),
      { cwd: ws },
    );
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    assert.equal(s.steps, 12);
    assert.ok(Number.isFinite(s.bestEval?.loss), 'evaluated');
    assert.ok(s.lastCheckpoint);
    const fill = async () => {
      const { model, tokenizer } = await loadRunForInference(s.runDir);
      try {
        return await fillMask(model, tokenizer, 'the cow eats [MASK] in the barn .', { topK: 5 });
      } finally {
        model.dispose();
      }
    };
    const gpu = (await fill())[0];
    const cpu = (await onCpu(fill))[0];
    assert.deepEqual(
      gpu.map((p) => p.token),
      cpu.map((p) => p.token),
    );
    for (let i = 0; i < 5; i++)
      assert.ok(Math.abs(gpu[i].score - cpu[i].score) < 1e-4, `${gpu[i].score} vs ${cpu[i].score}`);
  });
});
