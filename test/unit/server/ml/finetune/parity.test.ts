/**
 * Parity with PyTorch (test/fixtures/hf/task_reference.py: plain torch, safetensors read by hand, no transformers):
 *   - an exported sequence classifier (with text pairs) and token classifier give the same logits (≤ 1e-4), and the
 *     folder imports back to the same model;
 *   - a 20-step fine-tune of the fixture checkpoint by runFinetune (dropout 0) has the loss curve of a PyTorch
 *     fine-tune (torch.optim.AdamW, clip_grad_norm_) of the same start on the same batches with the same learning
 *     rates (≤ 1e-4 per step).
 * Skipped, with the reason, where no Python with torch is installed (.ci/run installs python3-torch).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { readMetrics } from '../../../../../server/ml/checkpoint';
import { resolveFinetuneConfig } from '../../../../../server/ml/finetune/config';
import { encodeExamples, makeBatch, type Feature } from '../../../../../server/ml/finetune/features';
import { labelSet } from '../../../../../server/ml/finetune/labels';
import { BertTaskModel, isHeadParameter, type TaskHead } from '../../../../../server/ml/finetune/model';
import { readLabelledData } from '../../../../../server/ml/finetune/reader';
import { epochOrder } from '../../../../../server/ml/finetune/objective';
import { runFinetune } from '../../../../../server/ml/finetune/run';
import {
  createTaskModel,
  loadTaskModelFolder,
  writeTaskModelFolder,
} from '../../../../../server/ml/finetune/taskFolder';
import type { LabelledExample } from '../../../../../server/ml/finetune/types';
import { loadInitCheckpoint, type HfCheckpoint } from '../../../../../server/ml/hf/importHf';
import { findTorchPython, FIXTURE_DIR, maxAbsDiff, tempDir } from '../hf/hfHelpers';
import { taskBatchRequest, taskReference } from './torchTask';

const torch = findTorchPython();
const skip = torch.python ? false : torch.reason;

const reference = <T>(mode: 'logits' | 'finetune', dir: string, request: unknown): T =>
  taskReference<T>(torch.python!, mode, dir, request);
const asRequest = taskBatchRequest;

const TEXTS: Array<[string, string | undefined, string]> = [
  ['the cat sat on the mat .', 'a dog ran over the river bank', 'a'],
  ['paris is the capital of france', undefined, 'b'],
  ['learning language models from unusual texts is fun !', 'the cat sat', 'c'],
  ['a quick brown dog', 'london is the capital', 'a'],
];

/** The fixture's encoder under a fresh head (initialised with a large std so the logits are not all near 0). */
function taskModel(ckpt: HfCheckpoint, head: TaskHead): BertTaskModel {
  const model = new BertTaskModel({ ...ckpt.config, initializerRange: 0.5 }, head, 11);
  const missing = [...model.variables.keys()].filter((n) => isHeadParameter(n));
  model.loadHfState(ckpt.state, { allowMissing: missing });
  return model;
}

void describe('task models: PyTorch parity', { skip }, () => {
  let ckpt: HfCheckpoint;
  const temps: Array<() => void> = [];
  before(async () => {
    await initBackend({ backend: 'cpu' });
    ckpt = await loadInitCheckpoint(FIXTURE_DIR);
  });
  after(() => temps.forEach((c) => c()));

  const cases: Array<{ name: string; head: TaskHead; examples: LabelledExample[] }> = [
    {
      name: 'BertForSequenceClassification (text pairs)',
      head: { task: 'classification', labels: ['a', 'b', 'c'], classifierDropout: null },
      examples: TEXTS.map(([text, textPair, label], i) => ({
        where: `t:${i}`,
        text,
        textPair,
        labels: [label],
      })),
    },
    {
      name: 'BertForTokenClassification',
      head: { task: 'token', labels: ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'], classifierDropout: null },
      examples: [
        { where: 't:1', words: ['paris', 'is', 'the', 'capital'], tags: ['B-X', 'O', 'O', 'B-Y'] },
        {
          where: 't:2',
          words: ['unusual', 'texts', 'learning', 'language'],
          tags: ['B-Y', 'I-Y', 'O', 'B-X'],
        },
      ],
    },
  ];
  for (const c of cases) {
    void test(`${c.name}: exported logits = PyTorch's (≤ 1e-4); imported back unchanged`, async () => {
      const before = tf.memory().numTensors;
      const model = taskModel(ckpt, c.head);
      const enc = encodeExamples(c.examples, ckpt.tokenizer, {
        task: c.head.task,
        labels: c.head.labels,
        maxLength: 64,
      });
      assert.equal(enc.bad.length, 0, JSON.stringify(enc.bad));
      const batch = makeBatch(enc.features, c.head.task, c.head.labels.length, ckpt.tokenizer.special.pad);
      const ours = await model.predict(batch);
      const t = tempDir('task');
      temps.push(t.cleanup);
      await writeTaskModelFolder(t.dir, {
        config: model.config,
        head: c.head,
        weights: model.toHfState(),
        tokenizer: ckpt.tokenizer,
        card: '# test\n',
      });
      model.dispose();
      const ref = reference<{ outputs: Array<{ logits: number[][] }> }>('logits', t.dir, {
        inputs: [asRequest(batch)],
      });
      const diff = maxAbsDiff(ours, Float32Array.from(ref.outputs[0].logits.flat()));
      assert.ok(diff <= 1e-4, `max |Δ| ${diff}`);
      const spread = Math.max(...ours) - Math.min(...ours);
      assert.ok(spread > 0.5, `logits spread ${spread}: the check would be weak`);
      const back = createTaskModel(await loadTaskModelFolder(t.dir));
      assert.deepEqual(back.head, c.head);
      assert.equal(maxAbsDiff(await back.predict(batch), ours), 0);
      back.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  }

  void test('a 20-step fine-tune (dropout 0) follows PyTorch’s loss curve (≤ 1e-4 per step)', async () => {
    const t = tempDir('ft-parity');
    temps.push(t.cleanup);
    const words = [
      'cat',
      'dog',
      'river',
      'capital',
      'france',
      'london',
      'paris',
      'bank',
      'brown',
      'quick',
      'language',
      'texts',
    ];
    const rows = ['text,label'];
    for (let i = 0; i < 24; i++) {
      const w = [words[i % 12], words[(i * 5 + 3) % 12], words[(i * 7 + 1) % 12]];
      rows.push(`"the ${w.join(' ')} is on the ${words[(i * 3) % 12]}",${['x', 'y', 'z'][(i * 7) % 3]}`);
    }
    const file = path.join(t.dir, 'train.csv');
    fs.writeFileSync(file, `${rows.join('\n')}\n`);
    const seed = 5;
    const batchSize = 4;
    const config = resolveFinetuneConfig({
      task: {
        kind: 'classification',
        train: file,
        eval: file,
        init: FIXTURE_DIR,
        dropout: 0,
        classifierDropout: 0,
        evalEvery: 1000,
      },
      training: { maxSteps: 20, batchSize, lr: 2e-3, warmupRatio: 0.1, weightDecay: 0.01, seed, logEvery: 1 },
      backend: 'cpu',
    });
    const runDir = path.join(t.dir, 'run');
    const summary = await runFinetune(config, { out: runDir });
    assert.equal(summary.stoppedBy, 'max-steps', summary.error);
    const train = readMetrics(runDir).filter((m) => m.split === 'train');
    assert.equal(train.length, 20);

    // The same start (the fixture's encoder, the head initialised from the same seed) and the same batches.
    const data = await readLabelledData(file, { task: 'classification' });
    const labels = labelSet('classification', data.examples);
    const head: TaskHead = { task: 'classification', labels, classifierDropout: 0 };
    const start = new BertTaskModel(
      { ...ckpt.config, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 },
      head,
      seed,
    );
    start.loadHfState(ckpt.state, {
      allowMissing: [...start.variables.keys()].filter((n) => isHeadParameter(n)),
    });
    const startDir = path.join(t.dir, 'start');
    await writeTaskModelFolder(startDir, {
      config: start.config,
      head,
      weights: start.toHfState(),
      tokenizer: ckpt.tokenizer,
      card: '',
    });
    start.dispose();
    const features: Feature[] = encodeExamples(data.examples, ckpt.tokenizer, {
      task: 'classification',
      labels,
      maxLength: 64,
    }).features;
    const steps = train.map((m, s) => {
      const perEpoch = features.length / batchSize;
      const order = epochOrder(features.length, seed, Math.floor(s / perEpoch));
      const from = (s % perEpoch) * batchSize;
      const batch = makeBatch(
        Array.from(order.subarray(from, from + batchSize), (i) => features[i]),
        'classification',
        labels.length,
        ckpt.tokenizer.special.pad,
      );
      return { batch: asRequest(batch), lr: m.lr };
    });
    const t0 = config.training;
    const ref = reference<{ losses: number[] }>('finetune', startDir, {
      steps,
      weightDecay: t0.weightDecay,
      clipNorm: t0.clipNorm,
      betas: [t0.adamBeta1, t0.adamBeta2],
      eps: t0.adamEpsilon,
      classWeights: null,
    });
    const ours = Float32Array.from(train.map((m) => m.loss));
    const diff = maxAbsDiff(ours, Float32Array.from(ref.losses));
    assert.ok(
      diff <= 1e-4,
      `max |Δ loss| ${diff}\nours  ${Array.from(ours).join(' ')}\ntorch ${ref.losses.join(' ')}`,
    );
    assert.ok(ours[19] < ours[0] - 0.05, `the loss should fall: ${ours[0]} → ${ours[19]}`);
  });
});
