import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import {
  bertPreset,
  createModel,
  fromHfConfig,
  isNoDecayParameter,
  toHfConfig,
} from '../../../../../server/ml/model';
import type { BertConfig, NamedTensor } from '../../../../../server/ml/types';
import { lossAndGrads, maxRelDiff, onBackend, tinyBatch } from './modelFixtures';

const VOCAB = 50;
/** A 2-layer model small enough for the pure-JS cpu reference. */
const small = (): BertConfig => ({
  ...bertPreset('tiny', VOCAB, 16),
  hiddenSize: 32,
  numAttentionHeads: 2,
  intermediateSize: 64,
});

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe('bert presets', () => {
  const table = [
    { name: 'tiny', layers: 2, hidden: 128, heads: 2, ffn: 512 },
    { name: 'mini', layers: 4, hidden: 256, heads: 4, ffn: 1024 },
    { name: 'small', layers: 4, hidden: 512, heads: 8, ffn: 2048 },
    { name: 'medium', layers: 8, hidden: 512, heads: 8, ffn: 2048 },
    { name: 'base', layers: 12, hidden: 768, heads: 12, ffn: 3072 },
  ] as const;
  for (const p of table) {
    void test(p.name, () => {
      const c = bertPreset(p.name, 1000);
      assert.deepEqual(
        [
          c.numHiddenLayers,
          c.hiddenSize,
          c.numAttentionHeads,
          c.intermediateSize,
          c.maxPositionEmbeddings,
          c.layerNormEps,
        ],
        [p.layers, p.hidden, p.heads, p.ffn, 512, 1e-12],
      );
    });
  }
  void test('HF config.json round trip', () => {
    const c = bertPreset('mini', 8192, 128);
    const hf = toHfConfig(c);
    assert.equal(hf.hidden_size, 256);
    assert.equal(hf.hidden_act, 'gelu');
    assert.deepEqual(fromHfConfig(hf), c);
  });
  void test('a bad config names the field', () => {
    assert.throws(
      () => createModel({ ...small(), numAttentionHeads: 3 }),
      /hiddenSize \(32\) must be a multiple of model.numAttentionHeads/,
    );
    assert.throws(
      () => createModel({ ...small(), hiddenDropoutProb: 1 }),
      /hiddenDropoutProb must be in \[0, 1\)/,
    );
  });
});

void describe('bert model', () => {
  void test('Hugging Face parameter names and shapes', () => {
    const m = createModel(small(), { seed: 1 });
    const hf = m.toHfState();
    const expect: Array<[string, number[]]> = [
      ['bert.embeddings.word_embeddings.weight', [VOCAB, 32]],
      ['bert.embeddings.position_embeddings.weight', [16, 32]],
      ['bert.embeddings.token_type_embeddings.weight', [2, 32]],
      ['bert.embeddings.LayerNorm.weight', [32]],
      ['bert.encoder.layer.1.attention.self.query.weight', [32, 32]],
      ['bert.encoder.layer.1.attention.output.LayerNorm.bias', [32]],
      ['bert.encoder.layer.0.intermediate.dense.weight', [64, 32]],
      ['bert.encoder.layer.0.output.dense.weight', [32, 64]],
      ['bert.encoder.layer.0.output.LayerNorm.weight', [32]],
      ['cls.predictions.transform.dense.weight', [32, 32]],
      ['cls.predictions.transform.LayerNorm.bias', [32]],
      ['cls.predictions.bias', [VOCAB]],
    ];
    for (const [name, shape] of expect) assert.deepEqual(hf.get(name)?.shape, shape, name);
    assert.equal(hf.size, 5 + 16 * 2 + 5, 'no decoder weight: it is tied to the word embeddings');
    assert.deepEqual(m.variables.get('bert.encoder.layer.0.intermediate.dense.weight')?.shape, [32, 64]);
    assert.equal(isNoDecayParameter('bert.encoder.layer.0.output.LayerNorm.weight'), true);
    assert.equal(isNoDecayParameter('bert.encoder.layer.0.output.dense.weight'), false);
    m.dispose();
  });

  void test('shapes: loss scalar, logits only at the targets, logitsAt', () => {
    const m = createModel(small(), { seed: 1 });
    const batch = tinyBatch(2, 8, VOCAB, 3);
    tf.tidy(() => {
      const { loss, logits } = m.loss(batch, true);
      assert.deepEqual(loss.shape, []);
      assert.deepEqual(logits.shape, [3, VOCAB]);
      // An untrained model is close to uniform: loss ≈ ln(vocab).
      assert.ok(Math.abs(loss.dataSync()[0] - Math.log(VOCAB)) < 0.5);
      const at = m.logitsAt(batch.inputIds, batch.attentionMask, 2, 8, Int32Array.from([0, 15]));
      assert.deepEqual(at.shape, [2, VOCAB]);
    });
    m.dispose();
  });

  void test('same seed, same weights; different seed, different weights', () => {
    const w = (seed: number): Float32Array => {
      const m = createModel(small(), { seed });
      const d = m.toHfState().get('bert.encoder.layer.0.attention.self.key.weight')!.data;
      m.dispose();
      return d;
    };
    assert.deepEqual(w(7), w(7));
    assert.notDeepEqual(w(7), w(8));
    const std = Math.sqrt(w(3).reduce((a, x) => a + x * x, 0) / w(3).length);
    assert.ok(Math.abs(std - 0.02) < 0.003, `init std ${std}`);
  });

  void test('padding does not change the outputs at real tokens', () => {
    const m = createModel(small(), { seed: 2 });
    const ids = Int32Array.from([2, 5, 9, 3]);
    const padded = Int32Array.from([2, 5, 9, 3, 7, 7]);
    const a = tf.tidy(() =>
      m.logitsAt(ids, new Int32Array(4).fill(1), 1, 4, Int32Array.from([1, 2])).arraySync(),
    );
    const b = tf.tidy(() =>
      m.logitsAt(padded, Int32Array.from([1, 1, 1, 1, 0, 0]), 1, 6, Int32Array.from([1, 2])).arraySync(),
    );
    assert.ok(maxRelDiff(a.flat(), b.flat()) < 1e-5);
    m.dispose();
  });

  void test('toHfState → loadHfState round trip (transposed linears), and load errors', () => {
    const a = createModel(small(), { seed: 1 });
    const b = createModel(small(), { seed: 2 });
    const batch = tinyBatch(2, 8, VOCAB);
    b.loadHfState(a.toHfState());
    const la = tf.tidy(() => Array.from(a.loss(batch, false).logits.dataSync()));
    const lb = tf.tidy(() => Array.from(b.loss(batch, false).logits.dataSync()));
    assert.deepEqual(la, lb);
    const state = a.toHfState();
    const q = 'bert.encoder.layer.0.intermediate.dense.weight';
    // HF layout: [out, in]; element [o, i] equals tfjs [i, o].
    const tfjs = a.variables.get(q)!.arraySync() as number[][];
    assert.equal(state.get(q)!.data[3 * 32 + 5], tfjs[5][3]);
    const missing = new Map(state);
    missing.delete('cls.predictions.bias');
    assert.throws(() => b.loadHfState(missing), /cls.predictions.bias is missing/);
    b.loadHfState(missing, { allowMissing: ['cls.predictions.bias'] });
    const wrong = new Map<string, NamedTensor>(state);
    wrong.set(q, { shape: [32, 64], data: new Float32Array(32 * 64) });
    assert.throws(
      () => b.loadHfState(wrong),
      /intermediate.dense.weight has shape \[32, 64\].*expects \[64, 32\]/,
    );
    a.dispose();
    b.dispose();
  });

  void test('a training step on wasm has the gradients of the cpu backend (within 1e-4)', async () => {
    const m = createModel(small(), { seed: 3 });
    const batch = tinyBatch(2, 8, VOCAB, 5);
    const wasm = await lossAndGrads(m, batch, true);
    const cpu = await onBackend('cpu', () => lossAndGrads(m, batch, true));
    assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-5);
    assert.equal(wasm.grads.size, m.variables.size);
    for (const [name, g] of wasm.grads) {
      const d = maxRelDiff(g, cpu.grads.get(name)!);
      assert.ok(d < 1e-4, `${name}: ${d}`);
    }
    m.dispose();
  });

  void test('createModel then dispose leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const m = createModel(small(), { seed: 5 });
    assert.ok(tf.memory().numTensors > before);
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  void test('no tensors leak over 20 forward/backward steps', () => {
    const m = createModel(small(), { seed: 4 });
    const opt = tf.train.adam(1e-3);
    const batch = tinyBatch(2, 8, VOCAB);
    const step = (): void => {
      const loss = opt.minimize(() => m.loss(batch, true).loss, true);
      loss?.dispose();
    };
    step(); // the optimizer creates its slots on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    m.dispose();
  });

  void test('tiny BERT overfits a fixed batch on wasm (loss falls)', () => {
    const m = createModel({ ...small(), hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }, { seed: 5 });
    const opt = tf.train.adam(3e-3);
    const batch = tinyBatch(2, 8, VOCAB, 6);
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const loss = opt.minimize(() => m.loss(batch, true).loss, true)!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    assert.ok(losses[39] < losses[0] * 0.3, `loss ${losses[0]} → ${losses[39]}`);
    opt.dispose();
    m.dispose();
  });
});
