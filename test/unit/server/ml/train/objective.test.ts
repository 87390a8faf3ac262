/**
 * The loop's objective seam with a second objective beside MLM: least-squares regression on a seeded synthetic
 * stream (a real Objective with its own batch type, the shape a fine-tuning task takes). It trains through the same
 * trainLoop, checkpoints, and resumes exactly through restoreCheckpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { readMetrics } from '../../../../../server/ml/checkpoint';
import { train, ws } from './regressionFixture';

void describe('the objective seam: a regression objective in the same loop', () => {
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  void test('learns, checkpoints its own files, resumes exactly (20 straight = 10 + resume + 10), tensors flat', async () => {
    const tensors = tf.memory().numTensors;
    const straight = await train(20);
    assert.ok(
      straight.losses[19] < straight.losses[0] / 4,
      `loss ${straight.losses[0]} → ${straight.losses[19]}`,
    );
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    const first = await train(10);
    assert.ok(fs.existsSync(path.join(first.runDir, 'checkpoints', 'step-10', 'config.json')));
    const resumed = await train(20, { runDir: first.runDir });
    assert.deepEqual([...first.losses, ...resumed.losses], straight.losses);
    assert.deepEqual([...resumed.weights], [...straight.weights]);
    assert.equal(readMetrics(first.runDir).filter((m) => m.split === 'eval').length, 4);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
  });
});
