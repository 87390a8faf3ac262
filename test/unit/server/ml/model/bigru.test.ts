import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { bigruConfig, createModel, fromHfConfig, toHfConfig } from '../../../../../server/ml/model';
import { lossAndGrads, maxRelDiff, onBackend, tinyBatch } from './modelFixtures';

const VOCAB = 40;
const config = bigruConfig(VOCAB, { embeddingDim: 8, gruUnits: 12, maxPositionEmbeddings: 16 });

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe('bigru model', () => {
  void test('defaults are the classic example: embedding 128 → BiGRU 512', () => {
    const c = bigruConfig(8192);
    assert.deepEqual([c.embeddingDim, c.gruUnits], [128, 512]);
    assert.deepEqual(fromHfConfig(toHfConfig(c)), c);
  });

  void test('PyTorch-style parameter names and HF shapes', () => {
    const m = createModel(config, { seed: 1 });
    const hf = m.toHfState();
    const expect: Array<[string, number[]]> = [
      ['embeddings.word_embeddings.weight', [VOCAB, 8]],
      ['gru.weight_ih_l0', [36, 8]],
      ['gru.weight_hh_l0', [36, 12]],
      ['gru.bias_ih_l0', [36]],
      ['gru.bias_hh_l0_reverse', [36]],
      ['gru.weight_ih_l0_reverse', [36, 8]],
      ['cls.decoder.weight', [VOCAB, 24]],
      ['cls.decoder.bias', [VOCAB]],
    ];
    assert.equal(hf.size, 11);
    for (const [name, shape] of expect) assert.deepEqual(hf.get(name)?.shape, shape, name);
    m.dispose();
  });

  void test('shapes and round trip', () => {
    const a = createModel(config, { seed: 1 });
    const b = createModel(config, { seed: 2 });
    const batch = tinyBatch(2, 6, VOCAB, 3);
    b.loadHfState(a.toHfState());
    tf.tidy(() => {
      const { loss, logits } = a.loss(batch, false);
      assert.deepEqual(loss.shape, []);
      assert.deepEqual(logits.shape, [3, VOCAB]);
      assert.deepEqual(Array.from(logits.dataSync()), Array.from(b.loss(batch, false).logits.dataSync()));
    });
    a.dispose();
    b.dispose();
  });

  void test('trailing padding does not change outputs at real tokens (both directions)', () => {
    const m = createModel(config, { seed: 2 });
    const a = tf.tidy(() =>
      m
        .logitsAt(Int32Array.from([1, 5, 9]), Int32Array.from([1, 1, 1]), 1, 3, Int32Array.from([0, 2]))
        .arraySync(),
    );
    const b = tf.tidy(() =>
      m
        .logitsAt(
          Int32Array.from([1, 5, 9, 4, 4]),
          Int32Array.from([1, 1, 1, 0, 0]),
          1,
          5,
          Int32Array.from([0, 2]),
        )
        .arraySync(),
    );
    assert.ok(maxRelDiff(a.flat(), b.flat()) < 1e-5);
    m.dispose();
  });

  void test('gradients on wasm equal cpu (within 1e-4)', async () => {
    const m = createModel(config, { seed: 3 });
    const batch = tinyBatch(2, 6, VOCAB, 4);
    const wasm = await lossAndGrads(m, batch, true);
    const cpu = await onBackend('cpu', () => lossAndGrads(m, batch, true));
    for (const [name, g] of wasm.grads) {
      const d = maxRelDiff(g, cpu.grads.get(name)!);
      assert.ok(d < 1e-4, `${name}: ${d}`);
    }
    m.dispose();
  });

  void test('trains a few steps on wasm without leaking (loss falls)', () => {
    const m = createModel({ ...config, dropout: 0 }, { seed: 4 });
    const opt = tf.train.adam(1e-2);
    const batch = tinyBatch(2, 6, VOCAB, 4);
    const losses: number[] = [];
    const step = (): void => {
      const loss = opt.minimize(() => m.loss(batch, true).loss, true)!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses[20] < losses[0] * 0.5, `loss ${losses[0]} → ${losses[20]}`);
    opt.dispose();
    m.dispose();
  });
});
