/**
 * Numerics unchanged by the speed work: a seeded run's loss and gradient-norm curves on today's code equal the
 * curves recorded on the code before it (test/fixtures/seeded-curve/curve.json, commit 715ca19: before fused
 * QKV/bias, the inference attention, the heap-copy kernels, fused AdamW and the custom-gradient GELU), within
 * float tolerance, on wasm and cpu, with and without dropout. Measured at the time of writing: loss within
 * 4.8e-7, gradient norm within 3e-7 relative, on both backends.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { CURVE_STEPS, seededCurves } from './seededCurve';

type Curves = Awaited<ReturnType<typeof seededCurves>>;
const reference = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../../fixtures/seeded-curve/curve.json'), 'utf8'),
) as Record<'wasm' | 'cpu', Curves> & { commit: string };

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe(`a seeded run follows the curve recorded before the speed work (${reference.commit.slice(0, 7)})`, () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    void test(`${backend}: ${CURVE_STEPS} steps, dropout 0 and 0.1`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const now = await seededCurves();
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      for (const run of ['dropout0', 'dropout01'] as const) {
        const ref = reference[backend][run];
        assert.equal(now[run].loss.length, ref.loss.length);
        now[run].loss.forEach((loss, i) => {
          assert.ok(Math.abs(loss - ref.loss[i]) <= 5e-5, `${run} step ${i}: loss ${loss} vs ${ref.loss[i]}`);
        });
        now[run].gradNorm.forEach((g, i) => {
          const r = ref.gradNorm[i];
          assert.ok(Math.abs(g - r) <= 1e-4 * r, `${run} step ${i}: grad norm ${g} vs ${r}`);
        });
        // The run learns: the last loss is well below the first (a curve that stayed flat would pass trivially).
        assert.ok(ref.loss[ref.loss.length - 1] < ref.loss[0] - 0.5);
      }
    });
  }
});
