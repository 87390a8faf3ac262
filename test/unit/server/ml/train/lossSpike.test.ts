/**
 * reliability: 32 loss spike — the loss-spike guard in the product's trainLoop, with finite spikes injected as
 * batches whose regression targets are 1000 too large (regressionFixture.ts): a spike step is skipped and counted,
 * maxInRow in a row roll the weights and optimizer back to the newest checkpoint with a lower learning rate, both in
 * the metrics rows; a normal run never trips it; the guard's state survives a resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { readState, readWeights } from '../../../../../server/ml/checkpoint';
import { train, ws } from './regressionFixture';

const GUARD = { factor: 5, warmupSteps: 5, maxInRow: 3, lrFactor: 0.5 };

void describe('reliability: 32 loss spike', () => {
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  void test('reliability: 32 loss spike: a normal run never trips the guard (default settings: on after 50 steps)', async () => {
    const r = await train(80);
    assert.equal(r.rows.at(-1)!.lossSpikes, 0);
    assert.equal(r.rows.at(-1)!.rollbacks, 0);
    assert.equal(r.rows.length, 80, 'every step applied and logged');
  });

  void test('reliability: 32 loss spike: an injected spike step is skipped and counted; the run goes on to its last step', async () => {
    const tensors = tf.memory().numTensors;
    const logs: string[] = [];
    const r = await train(20, { spikeAt: [12], training: { lossSpike: GUARD }, onLog: (m) => logs.push(m) });
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    const last = r.rows.at(-1)!;
    assert.equal(last.step, 20);
    assert.equal(last.lossSpikes, 1);
    assert.equal(last.rollbacks, 0);
    assert.ok(
      logs.some((l) =>
        /^step 13 skipped: loss \d+\.\d+ is over 5× the running average \d+\.\d+ .*1 in a row, 1 in all/.test(
          l,
        ),
      ),
      logs.join('\n'),
    );
    // The spike never reached the weights: no logged loss is anywhere near it, and the run still learned.
    assert.ok(
      r.losses.every((l) => l < 100),
      r.losses.join(', '),
    );
    assert.ok(r.losses[19] < r.losses[0] / 4, `loss ${r.losses[0]} → ${r.losses[19]}`);
  });

  void test('reliability: 32 loss spike: 3 spikes in a row roll weights and optimizer back to the newest checkpoint and halve the learning rate', async () => {
    const tensors = tf.memory().numTensors;
    let rolledBack: { weights: number[]; checkpoint: number[]; line: string } | undefined;
    let runDir = '';
    const r = await train(24, {
      spikeAt: [12, 13, 14],
      training: { lossSpike: GUARD },
      onLog: (line, model) => {
        const to = /rolled back to (\S+) /.exec(line)?.[1];
        if (!to) return;
        runDir = path.dirname(path.dirname(to));
        rolledBack = {
          line,
          weights: [...model.variables.get('regressor.weight')!.dataSync()],
          // (read now: rotation removes it later in the run)
          checkpoint: [...readWeights(to).get('regressor.weight')!.data],
        };
      },
    });
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    assert.ok(rolledBack, 'a rollback was logged');
    assert.equal(runDir, r.runDir);
    const ck = path.join(r.runDir, 'checkpoints', 'step-10');
    assert.ok(
      rolledBack.line.startsWith(
        `3 loss spikes in a row at step 13: weights and optimizer rolled back to ${ck} (step 10), the learning rate is now ×0.5`,
      ),
      rolledBack.line,
    );
    assert.deepEqual(rolledBack.weights, rolledBack.checkpoint);
    const row = (step: number) => r.rows.find((m) => m.step === step)!;
    assert.deepEqual([row(12).lr, row(12).lossSpikes, row(12).rollbacks], [0.05, 0, 0]);
    assert.deepEqual([row(13).lr, row(13).lossSpikes, row(13).rollbacks], [0.025, 3, 1]);
    assert.equal(r.rows.at(-1)!.step, 24, 'the step counter and the data go on');
    // Saved with the checkpoints: a resume keeps the lowered rate and the counts.
    const state = readState(path.join(r.runDir, 'checkpoints', 'step-20'));
    assert.deepEqual([state.lrScale, state.lossSpikes, state.rollbacks], [0.5, 3, 1]);
    const resumed = await train(26, { runDir: r.runDir, training: { lossSpike: GUARD } });
    assert.deepEqual([resumed.rows[0].step, resumed.rows[0].lr, resumed.rows[0].rollbacks], [25, 0.025, 1]);
  });

  void test('reliability: 32 loss spike: a loss that never comes back stops the run after 3 rollbacks in a row, naming the setting', async () => {
    const spikeAt = Array.from({ length: 40 }, (_, i) => 12 + i);
    const r = await train(40, { spikeAt, training: { lossSpike: GUARD }, expectMaxSteps: false });
    assert.equal(r.out.stoppedBy, 'error');
    assert.match(
      r.out.error!,
      /stayed over 5× its running average .* through 3 rollbacks in a row.*training\.lossSpike/,
    );
  });
});
