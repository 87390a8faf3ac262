/**
 * Fine-tuning, evaluation and prediction on webgpu against the cpu backend, from the tiny Hugging Face fixture
 * checkpoint: the same seeded run (dropout on: the masks are drawn in JavaScript, the same on every backend) gives
 * the same train losses within 1e-3 at every step and the same eval loss; the run's best checkpoint predicts the
 * same probabilities (within 1e-4) and scores the same metrics on a labelled file. runFinetune is called with
 * `backend: "cpu"` inside onCpu: the process's backend was initialised to webgpu first, so initBackend returns
 * that and the computation runs on the active tfjs backend (cpu), which is the reference.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readMetrics } from '../../server/ml/checkpoint';
import { resolveFinetuneConfig } from '../../server/ml/finetune/config';
import { evaluateFile, loadTaskModel, predictTexts } from '../../server/ml/finetune/infer';
import { runFinetune, type FinetuneSummary } from '../../server/ml/finetune/run';
import { FIXTURE_DIR, tempDir } from '../unit/server/ml/hf/hfHelpers';
import { onCpu, startWebgpu } from './helpers';

const STEPS = 4;
let dir: string;
let cleanup: () => void;
void before(async () => {
  await startWebgpu();
  const t = tempDir('ft-webgpu');
  dir = t.dir;
  cleanup = t.cleanup;
  const words = ['cat', 'dog', 'river', 'capital', 'france', 'london', 'paris', 'bank'];
  const rows = ['text,label'];
  for (let i = 0; i < 16; i++)
    rows.push(`the ${words[i % 8]} and the ${words[(i * 3) % 8]},${['x', 'y', 'z'][i % 3]}`);
  fs.writeFileSync(path.join(dir, 'd.csv'), `${rows.join('\n')}\n`);
});
void after(() => cleanup());

const config = (backend: 'webgpu' | 'cpu') =>
  resolveFinetuneConfig({
    task: {
      train: path.join(dir, 'd.csv'),
      eval: path.join(dir, 'd.csv'),
      init: FIXTURE_DIR,
      dropout: 0.1,
      evalEvery: 2,
    },
    training: { maxSteps: STEPS, batchSize: 4, lr: 2e-3, seed: 9, logEvery: 1 },
    backend,
  });

async function fineTune(backend: 'webgpu' | 'cpu'): Promise<FinetuneSummary> {
  const s = await runFinetune(config(backend), { out: path.join(dir, backend) });
  assert.equal(s.stoppedBy, 'max-steps', s.error);
  return s;
}

const losses = (runDir: string, split: 'train' | 'eval') =>
  readMetrics(runDir)
    .filter((m) => m.split === split)
    .map((m) => m.loss);

void describe('fine-tuning on webgpu = cpu', () => {
  void test(`${STEPS} seeded fine-tune steps (dropout on): train and eval loss within 1e-3`, async () => {
    const before = tf.memory().numTensors;
    const gpu = await fineTune('webgpu');
    assert.equal(tf.memory().numTensors, before, 'the run leaves no tensor behind');
    const cpu = await onCpu(() => fineTune('cpu'));
    for (const split of ['train', 'eval'] as const) {
      const [g, c] = [losses(gpu.runDir, split), losses(cpu.runDir, split)];
      assert.equal(g.length, split === 'train' ? STEPS : STEPS / 2);
      assert.equal(g.length, c.length);
      for (let i = 0; i < g.length; i++)
        assert.ok(Math.abs(g[i] - c[i]) < 1e-3, `${split} ${i}: ${g[i]} vs ${c[i]}`);
    }
    assert.ok(gpu.bestCheckpoint, 'the webgpu run saved its best checkpoint');
  });

  void test('predict and eval of the webgpu run = cpu (probabilities within 1e-4, same metrics)', async () => {
    const runDir = path.join(dir, 'webgpu');
    const texts = [{ text: 'the cat and the river' }, { text: 'paris and the bank of france' }];
    const use = async () => {
      const loaded = await loadTaskModel(runDir);
      try {
        const before = tf.memory().numTensors;
        const preds = await predictTexts(loaded, texts);
        const e = await evaluateFile(loaded, path.join(dir, 'd.csv'));
        assert.equal(tf.memory().numTensors, before, 'predict and eval leave no tensor behind');
        return { preds, e };
      } finally {
        loaded.model.dispose();
      }
    };
    const gpu = await use();
    const cpu = await onCpu(use);
    for (let k = 0; k < texts.length; k++) {
      const [g, c] = [gpu.preds[k], cpu.preds[k]];
      assert.deepEqual(g.labels, c.labels);
      const byLabel = new Map(c.scores.map((s) => [s.label, s.score]));
      for (const s of g.scores) assert.ok(Math.abs(s.score - byLabel.get(s.label)!) < 1e-4, `${s.label}`);
    }
    assert.ok(Math.abs(gpu.e.metrics.loss - cpu.e.metrics.loss) < 1e-4);
    assert.equal(gpu.e.metrics.accuracy, cpu.e.metrics.accuracy);
    assert.equal(gpu.e.examples, 16);
  });
});
