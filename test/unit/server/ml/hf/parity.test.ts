/**
 * Parity with PyTorch: test/fixtures/hf-tiny-bert was made by test/fixtures/hf/make_fixture.py (a plain-PyTorch
 * BertForMaskedLM with Hugging Face's names and math, random weights). Importing it must give the logits and the
 * fill-mask top-5 recorded there.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { createModelFromHf, importHfCheckpoint } from '../../../../../server/ml/hf';
import { fillMask } from '../../../../../server/ml/infer/fillMask';
import type { MlmModel } from '../../../../../server/ml/types';
import { FIXTURE_DIR, maxAbsDiff } from './hfHelpers';

interface Expected {
  cases: Array<{
    text: string;
    ids: number[];
    positions: number[];
    logits: number[][];
    fillMask: Array<Array<{ token: string; id: number; score: number }>>;
  }>;
  batch: {
    ids: number[][];
    attentionMask: number[][];
    seqLen: number;
    positions: number[];
    logits: number[][];
  };
}

const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'expected.json'), 'utf8')) as Expected;

function logitsAt(model: MlmModel, ids: number[][], mask: number[][], positions: number[]): Float32Array {
  const seqLen = ids[0].length;
  const t = model.logitsAt(
    Int32Array.from(ids.flat()),
    Int32Array.from(mask.flat()),
    ids.length,
    seqLen,
    Int32Array.from(positions),
  ); // [positions, vocab]
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

void describe('PyTorch parity (hf-tiny-bert fixture)', () => {
  let model: MlmModel;
  let ckpt: Awaited<ReturnType<typeof importHfCheckpoint>>;
  before(async () => {
    await initBackend({ backend: 'cpu' });
    ckpt = await importHfCheckpoint(FIXTURE_DIR);
    model = createModelFromHf(ckpt);
  });

  void test('the import maps every weight and ties the decoder', () => {
    assert.equal(ckpt.report.architecture, 'BertForMaskedLM');
    assert.deepEqual(ckpt.report.initialised, []);
    assert.deepEqual(ckpt.report.ignored, []);
    assert.equal(ckpt.tokenizer.vocabSize, ckpt.config.vocabSize);
  });

  for (const [i, c] of expected.cases.entries()) {
    void test(`case ${i}: same ids and logits (max |Δ| ≤ 1e-4): ${c.text}`, () => {
      assert.deepEqual(ckpt.tokenizer.encode(c.text).ids, c.ids);
      const got = logitsAt(model, [c.ids], [c.ids.map(() => 1)], c.positions);
      const diff = maxAbsDiff(got, Float32Array.from(c.logits.flat()));
      assert.ok(diff <= 1e-4, `max abs logit difference ${diff}`);
    });

    void test(`case ${i}: same fill-mask top-5`, async () => {
      const before = tf.memory().numTensors;
      const got = await fillMask(model, ckpt.tokenizer, c.text, { topK: 5 });
      assert.equal(tf.memory().numTensors, before);
      assert.equal(got.length, c.fillMask.length);
      for (const [m, want] of c.fillMask.entries()) {
        assert.deepEqual(
          got[m].map((r) => r.token),
          want.map((r) => r.token),
        );
        for (const [k, r] of want.entries()) assert.ok(Math.abs(got[m][k].score - r.score) < 1e-5);
      }
    });
  }

  void test('a padded batch: same logits, padding does not leak into real tokens', () => {
    const b = expected.batch;
    const got = logitsAt(model, b.ids, b.attentionMask, b.positions);
    const diff = maxAbsDiff(got, Float32Array.from(b.logits.flat()));
    assert.ok(diff <= 1e-4, `max abs logit difference ${diff}`);
  });
});
