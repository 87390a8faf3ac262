/**
 * The per-minute recipe's seeded curve: a run with `training.recipe: "per-minute"` (30 % training masking, dropout 0,
 * batch 32, peak lr 2e-3 with 5 % warmup and linear decay) follows the curve recorded in
 * test/fixtures/seeded-curve/per-minute.json (perMinuteCurve.make.ts) within float tolerance, and learns. The plain
 * BERT recipe keeps its own curve (seededCurve.test.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { PER_MINUTE_STEPS, perMinuteCurve, type PerMinuteCurve } from './perMinuteCurve';

const reference = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../../fixtures/seeded-curve/per-minute.json'), 'utf8'),
) as { commit: string; wasm: PerMinuteCurve };

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void test(`the per-minute recipe follows its recorded seeded curve (${PER_MINUTE_STEPS} steps, wasm)`, async () => {
  const before = tf.memory().numTensors;
  const now = await perMinuteCurve();
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  const ref = reference.wasm;
  assert.deepEqual(now.recipe, ref.recipe);
  assert.equal(now.loss.length, PER_MINUTE_STEPS);
  now.loss.forEach((loss, i) => {
    assert.ok(Math.abs(loss - ref.loss[i]) <= 5e-5, `step ${i + 1}: loss ${loss} vs ${ref.loss[i]}`);
    assert.ok(Math.abs(now.lr[i] - ref.lr[i]) <= 1e-12, `step ${i + 1}: lr ${now.lr[i]} vs ${ref.lr[i]}`);
  });
  assert.equal(now.eval.length, ref.eval.length);
  now.eval.forEach((e, i) => {
    assert.equal(e.step, ref.eval[i].step);
    assert.ok(
      Math.abs(e.loss - ref.eval[i].loss) <= 5e-5,
      `eval at ${e.step}: ${e.loss} vs ${ref.eval[i].loss}`,
    );
    assert.equal(e.accuracy, ref.eval[i].accuracy);
  });
  // Training targets at the recipe's 30 %; the run learns (a flat curve would pass the comparison trivially).
  assert.ok(Math.abs(now.targetRate - 0.3) < 0.03, `target rate ${now.targetRate}`);
  assert.ok(ref.loss[ref.loss.length - 1] < ref.loss[0] - 0.5, 'the recorded curve descends');
});
