import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { fillMask, makeWindows, modelScorer, warmUp } from '../../../../../server/ml/infer/fillMask';
import { topKSoftmax } from '../../../../../server/ml/infer/topk';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import type { MlmModel } from '../../../../../server/ml/types';
import { WordTokenizer } from './wordTokenizer';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'a', 'red', 'blue', '##s'];
const tok = new WordTokenizer(WORDS);
let model: MlmModel;

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  const c = bertPreset('tiny', tok.vocabSize, 12);
  model = createModel(
    { ...c, hiddenSize: 16, numAttentionHeads: 2, intermediateSize: 32, numHiddenLayers: 1 },
    { seed: 1 },
  );
});

void describe('topKSoftmax', () => {
  const logits = Float32Array.from([1, 3, 2, 3, 0]);
  const z = [1, 3, 2, 3, 0].reduce((a, x) => a + Math.exp(x), 0);
  const table = [
    { k: 2, candidates: undefined, ids: [1, 3] },
    { k: 3, candidates: undefined, ids: [1, 3, 2] },
    { k: 2, candidates: Int32Array.from([4, 2, 0]), ids: [2, 0] },
    { k: 9, candidates: undefined, ids: [1, 3, 2, 0, 4] },
  ];
  for (const c of table) {
    void test(`k=${c.k} candidates=${c.candidates ? Array.from(c.candidates).join(',') : 'all'}`, () => {
      const r = topKSoftmax(logits, c.k, c.candidates);
      assert.deepEqual(
        r.map((x) => x.id),
        c.ids,
      );
      for (const x of r) assert.ok(Math.abs(x.score - Math.exp(logits[x.id]) / z) < 1e-6);
    });
  }
});

void describe('fillMask', () => {
  void test('one list per mask, scores are probabilities, sequences fill that mask only', async () => {
    const r = await fillMask(model, tok, 'the [MASK] sat on the [MASK]', { topK: 3 });
    assert.equal(r.length, 2);
    for (const list of r) {
      assert.equal(list.length, 3);
      assert.ok(list[0].score >= list[1].score && list[1].score >= list[2].score);
      assert.ok(list.every((x) => x.score > 0 && x.score < 1 && tok.idToToken(x.id) === x.token));
    }
    assert.equal(r[0][0].sequence, `the ${r[0][0].token} sat on the [MASK]`);
    assert.equal(r[1][0].sequence, `the [MASK] sat on the ${r[1][0].token}`);
    // The scores equal a softmax over the model's logits at that position.
    const logits = tf.tidy(() => {
      const enc = tok.encode('the [MASK] sat on the [MASK]');
      const ids = Int32Array.from(enc.ids);
      return Array.from(
        model
          .logitsAt(ids, new Int32Array(ids.length).fill(1), 1, ids.length, Int32Array.from([2]))
          .dataSync(),
      );
    });
    const z = logits.reduce((a, x) => a + Math.exp(x), 0);
    assert.ok(Math.abs(r[0][0].score - Math.exp(logits[r[0][0].id]) / z) < 1e-5);
  });

  void test('targets restrict the candidates', async () => {
    const [list] = await fillMask(model, tok, 'a [MASK] dog', { targets: ['red', 'Blue'] });
    assert.deepEqual(list.map((x) => x.token).sort(), ['blue', 'red']);
  });

  void test('"##" pieces join the previous word in the sequence', async () => {
    const [list] = await fillMask(model, tok, 'the cat [MASK] sat', { targets: ['##s'] });
    assert.equal(list[0].sequence, 'the cats sat');
  });

  void test('no mask: an error that says what to do', async () => {
    await assert.rejects(fillMask(model, tok, 'the cat sat'), /no \[MASK\] token: put \[MASK\] where/);
  });

  void test('a text longer than the model is windowed around each mask', async () => {
    const words = Array.from({ length: 30 }, (_, i) => WORDS[i % 5]);
    words[3] = '[MASK]';
    words[25] = '[MASK]';
    const r = await fillMask(model, tok, words.join(' '));
    assert.equal(r.length, 2);
    const enc = tok.encode(words.join(' '));
    const masks = [4, 26];
    const w = makeWindows(enc.ids, masks, 12, tok);
    assert.deepEqual([w.batchSize, w.seqLen], [2, 12]);
    for (let m = 0; m < 2; m++) {
      const row = Array.from(w.ids.subarray(m * 12, (m + 1) * 12));
      assert.equal(row[0], tok.special.cls);
      assert.equal(row[11], tok.special.sep);
      assert.equal(w.ids[w.positions[m]], tok.special.mask);
    }
    // The first mask sits near the start (window clamped), the second in the middle of its window.
    assert.equal(w.positions[0], 4);
    assert.equal(w.positions[1] - 12, 1 + 5);
  });

  void test('warmUp runs the model, keeps no tensors and changes no answer', async () => {
    const text = 'a [MASK] sat on [MASK] mat';
    const first = await fillMask(model, tok, text);
    const before = tf.memory().numTensors;
    let calls = 0;
    const scorer = modelScorer(model);
    await warmUp({ ...scorer, logits: (...a) => (calls++, scorer.logits(...a)) }, tok);
    assert.equal(calls, 2);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(await fillMask(model, tok, text), first);
  });

  void test('100 fill-masks leave no tensors behind', async () => {
    await fillMask(model, tok, 'the [MASK] ran');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++)
      await fillMask(model, tok, i % 2 ? 'the [MASK] ran' : 'a [MASK] sat on [MASK] mat');
    assert.equal(tf.memory().numTensors, before);
  });
});
