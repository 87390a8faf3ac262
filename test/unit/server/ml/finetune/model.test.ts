/**
 * Task heads, features and the fine-tune loop on the tiny fixture checkpoint: losses against hand-computed values,
 * every task steps without leaking tensors, text-pair truncation, first-sub-token tag alignment, freezing, and an
 * exact resume (3 + 3 steps = 6 steps, dropout on).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { encodeExamples, makeBatch, tokenizeWords } from '../../../../../server/ml/finetune/features';
import {
  BertTaskModel,
  isHeadParameter,
  taskLoss,
  type TaskBatch,
  type TaskHead,
} from '../../../../../server/ml/finetune/model';
import { predictTexts } from '../../../../../server/ml/finetune/infer';
import type { LabelledExample, TaskKind } from '../../../../../server/ml/finetune/types';
import { loadInitCheckpoint, type HfCheckpoint } from '../../../../../server/ml/hf/importHf';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { trainStep } from '../../../../../server/ml/train/step';
import { FIXTURE_DIR } from '../hf/hfHelpers';

let ckpt: HfCheckpoint;
before(async () => {
  await initBackend({ backend: 'cpu' });
  ckpt = await loadInitCheckpoint(FIXTURE_DIR);
});

const batchOf = (rows: number, labels: number[], targets?: number[]): TaskBatch => ({
  batchSize: rows,
  seqLen: 1,
  inputIds: new Int32Array(rows),
  attentionMask: new Int32Array(rows).fill(1),
  maskedPositions: Int32Array.from({ length: rows }, (_, i) => i),
  labels: Int32Array.from(labels),
  targets: targets ? Float32Array.from(targets) : undefined,
});

void describe('losses (hand-computed)', () => {
  const logits = [
    [2, 0, 0],
    [0, 1, 0],
  ];
  const lse = (r: number[]) => Math.log(r.reduce((s, x) => s + Math.exp(x), 0));
  void test('class-weighted cross-entropy = Σ w_y·nll / Σ w_y (torch semantics)', () => {
    // nll row 0 (y = 0): lse − 2; row 1 (y = 2): lse − 0; weights 1 and 3.
    const want = (1 * (lse(logits[0]) - 2) + 3 * (lse(logits[1]) - 0)) / 4;
    const got = tf.tidy(
      () =>
        taskLoss(
          'classification',
          tf.tensor2d(logits),
          batchOf(2, [0, 2]),
          Float32Array.from([1, 5, 3]),
        ).dataSync()[0],
    );
    assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
    const plain = tf.tidy(
      () => taskLoss('classification', tf.tensor2d(logits), batchOf(2, [0, 2])).dataSync()[0],
    );
    assert.ok(Math.abs(plain - (lse(logits[0]) - 2 + lse(logits[1])) / 2) < 1e-6);
  });
  void test('BCE-with-logits averaged over every label; MSE over every target', () => {
    const sp = (x: number) => Math.log(1 + Math.exp(x)); // −log σ(−x)
    // z = [1,0,1],[0,0,1]: loss = mean of softplus(−x) where z=1, softplus(x) where z=0.
    const want = (sp(-2) + sp(0) + sp(0) + sp(0) + sp(1) + sp(0)) / 6;
    const got = tf.tidy(
      () =>
        taskLoss('multilabel', tf.tensor2d(logits), batchOf(2, [-1, -1], [1, 0, 1, 0, 0, 1])).dataSync()[0],
    );
    assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
    const mse = tf.tidy(
      () => taskLoss('regression', tf.tensor2d([[1], [3]]), batchOf(2, [-1, -1], [0, 1])).dataSync()[0],
    );
    assert.ok(Math.abs(mse - (1 + 4) / 2) < 1e-6);
  });
});

function model(task: TaskKind, labels: string[]): BertTaskModel {
  const head: TaskHead = { task, labels, classifierDropout: null };
  const m = new BertTaskModel(ckpt.config, head, 3);
  m.loadHfState(ckpt.state, { allowMissing: [...m.variables.keys()].filter((n) => isHeadParameter(n)) });
  return m;
}

void describe('task models', () => {
  const texts: LabelledExample[] = [
    { where: 'a', text: 'the cat sat on the mat', labels: ['x'], values: [0.5, 1] },
    {
      where: 'b',
      text: 'paris is the capital of france',
      textPair: 'london',
      labels: ['y', 'x'],
      values: [2, -1],
    },
  ];
  const words: LabelledExample[] = [
    { where: 'c', words: ['paris', 'unusual', 'texts'], tags: ['B-X', 'O', 'B-Y'] },
  ];
  const cases: Array<{ task: TaskKind; labels: string[]; examples: LabelledExample[] }> = [
    {
      task: 'classification',
      labels: ['x', 'y'],
      examples: texts.map((e, i) => ({ ...e, labels: [['x', 'y'][i]] })),
    },
    { task: 'multilabel', labels: ['x', 'y'], examples: texts },
    { task: 'regression', labels: ['LABEL_0', 'LABEL_1'], examples: texts },
    { task: 'token', labels: ['O', 'B-X', 'B-Y'], examples: words },
  ];
  for (const c of cases) {
    void test(`${c.task}: a training step changes the weights, is finite and leaks no tensor`, async () => {
      const m = model(c.task, c.labels);
      const opt = new AdamW(m.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
      const enc = encodeExamples(c.examples, ckpt.tokenizer, {
        task: c.task,
        labels: c.labels,
        maxLength: 32,
      });
      assert.deepEqual(enc.bad, []);
      const batch = makeBatch(enc.features, c.task, c.labels.length, ckpt.tokenizer.special.pad);
      const before = tf.memory().numTensors;
      const w0 = m.toHfState().get('classifier.weight')!.data;
      const r = await trainStep(m, opt, [batch], { lr: 1e-3, clipNorm: 1 });
      assert.ok(r.applied && Number.isFinite(r.loss), `loss ${r.loss}`);
      assert.equal(tf.memory().numTensors, before);
      assert.notDeepEqual(m.toHfState().get('classifier.weight')!.data, w0);
      opt.dispose();
      m.dispose();
    });
  }
});

void describe('predictions', () => {
  void test('every task answers with its shape; entities are spans of the input text', async () => {
    const text = 'Paris is the capital of France, and London is the capital of England.';
    const cases: Array<{ task: TaskKind; labels: string[] }> = [
      { task: 'classification', labels: ['x', 'y', 'z'] },
      { task: 'multilabel', labels: ['x', 'y'] },
      { task: 'regression', labels: ['LABEL_0'] },
      { task: 'token', labels: ['O', 'B-LOC', 'I-LOC'] },
    ];
    for (const c of cases) {
      const m = model(c.task, c.labels);
      // A large head so that the random model predicts entities too.
      const state = m.toHfState();
      const w = state.get('classifier.weight')!;
      m.loadHfState(new Map([...state, ['classifier.weight', { ...w, data: w.data.map((v) => v * 200) }]]));
      const loaded = { model: m, tokenizer: ckpt.tokenizer, maxLength: 64, threshold: 0.5 };
      await predictTexts(loaded, [{ text }]); // builds the encoder's inference caches (fused Q|K|V per layer)
      const before = tf.memory().numTensors;
      const [p] = await predictTexts(loaded, [{ text }]);
      assert.equal(tf.memory().numTensors, before);
      if (c.task === 'classification') {
        assert.equal(p.scores.length, 3);
        assert.ok(Math.abs(p.scores.reduce((s, x) => s + x.score, 0) - 1) < 1e-6);
        assert.deepEqual(p.labels, [p.scores[0].label]);
      } else if (c.task === 'multilabel') {
        assert.deepEqual(
          p.labels,
          p.scores
            .filter((s) => s.score >= 0.5)
            .map((s) => s.label)
            .sort((a, b) => c.labels.indexOf(a) - c.labels.indexOf(b)),
        );
      } else if (c.task === 'regression') {
        assert.equal(p.values!.length, 1);
      } else {
        assert.ok(p.entities!.length > 0, 'some entity');
        for (const e of p.entities!) {
          assert.equal(e.type, 'LOC');
          assert.equal(e.text, text.slice(e.start, e.end));
          assert.ok(e.score > 0 && e.score <= 1);
        }
      }
      m.dispose();
    }
  });
});

void describe('features', () => {
  void test('pairs: [CLS] a [SEP] b [SEP] with segment ids; the longer text is cut first', () => {
    const tok = ckpt.tokenizer;
    const a = 'the cat sat on the mat and the dog ran over the river bank';
    const e: LabelledExample = { where: 'p', text: a, textPair: 'paris', labels: ['x'] };
    const f = encodeExamples([e], tok, { task: 'classification', labels: ['x'], maxLength: 8 });
    const feat = f.features[0];
    assert.equal(f.truncated, 1);
    assert.equal(feat.ids.length, 8);
    assert.deepEqual(Array.from(feat.typeIds!), [0, 0, 0, 0, 0, 0, 1, 1]);
    assert.equal(feat.ids[0], tok.special.cls);
    assert.equal(feat.ids[5], tok.special.sep);
    assert.equal(feat.ids[7], tok.special.sep);
    assert.equal(feat.ids[6], tok.tokenToId('paris'));
  });
  void test('token classification: each tag on its word’s first sub-token only; cut words are counted', () => {
    const tok = ckpt.tokenizer;
    const words = ['unusual', 'paris', 'texts'];
    const { ids, firstToken } = tokenizeWords(tok, words);
    assert.ok(ids.length > words.length, 'the fixture splits some word into sub-tokens');
    const f = encodeExamples([{ where: 't', words, tags: ['B-X', 'O', 'B-Y'] }], tok, {
      task: 'token',
      labels: ['O', 'B-X', 'B-Y'],
      maxLength: 64,
    });
    const labels = Array.from(f.features[0].tokenLabels!);
    const want = new Array<number>(ids.length + 2).fill(-1);
    want[firstToken[0] + 1] = 1;
    want[firstToken[1] + 1] = 0;
    want[firstToken[2] + 1] = 2;
    assert.deepEqual(labels, want);
    const cut = encodeExamples([{ where: 't', words, tags: ['B-X', 'O', 'B-Y'] }], tok, {
      task: 'token',
      labels: ['O', 'B-X', 'B-Y'],
      maxLength: firstToken[2] + 2,
    });
    assert.equal(cut.truncated, 1);
    assert.equal(Array.from(cut.features[0].tokenLabels!).filter((x) => x >= 0).length, 2);
  });
  void test('batches are padded to their longest row only', () => {
    const f = encodeExamples(
      [
        { where: '1', text: 'cat', labels: ['x'] },
        { where: '2', text: 'the cat sat', labels: ['x'] },
      ],
      ckpt.tokenizer,
      { task: 'classification', labels: ['x'], maxLength: 64 },
    );
    const b = makeBatch(f.features, 'classification', 1, ckpt.tokenizer.special.pad);
    assert.equal(b.seqLen, 5);
    assert.deepEqual(Array.from(b.attentionMask), [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(b.maskedPositions), [0, 5]);
  });
});
