import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { ReplicaPool } from '../../../../../server/ml/train/parallel/pool';
import { splitStep } from '../../../../../server/ml/train/parallel/split';
import { runTraining } from '../../../../../server/ml/train/run';
import { trainStep } from '../../../../../server/ml/train/step';
import { spawnReplica } from '../../../../../server/worker/replicas';
import type { MlmBatch, MlmModel } from '../../../../../server/ml/types';
import { paddedMaskedBatches, syntheticWorkspace, tinyConfig } from './trainFixtures';

const V = 40;

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

function tinyModel(dropout = 0): MlmModel {
  const config = {
    ...bertPreset('tiny', V, 16),
    hiddenSize: 16,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    intermediateSize: 32,
    hiddenDropoutProb: dropout,
    attentionProbsDropoutProb: dropout,
  };
  return createModel(config, { seed: 3 });
}

const adamw = (m: MlmModel) =>
  new AdamW(m.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });

/** Masked batches of 5 rows (an odd size: the replicas' shares differ) × 12 tokens. */
const batches = (n: number): MlmBatch[] => paddedMaskedBatches(n, 5, V);

function maxDiff(a: MlmModel, b: MlmModel): number {
  let d = 0;
  for (const [n, v] of a.variables) {
    const x = v.dataSync();
    const y = b.variables.get(n)!.dataSync();
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

void describe('data-parallel training', () => {
  after(() => assert.equal(ReplicaPool.liveThreads, 0, 'every replica thread has ended'));

  void test('splitStep shares rows and targets; the weights of a step sum to 1', () => {
    const bs = batches(2);
    const parts = splitStep(bs, 2);
    assert.deepEqual(
      parts.map((p) => p.map((s) => s.batch.batchSize)),
      [
        [2, 2],
        [3, 3],
      ],
    );
    const weights = parts.flat().reduce((s, p) => s + p.weight, 0);
    assert.ok(Math.abs(weights - 1) < 1e-12);
    for (const p of parts.flat()) {
      for (const pos of p.batch.maskedPositions) assert.ok(pos >= 0 && pos < p.batch.batchSize * 12);
    }
  });

  for (const c of [
    { name: '1 micro-batch, no clipping', accumulation: 1, clipNorm: null },
    { name: '2 micro-batches, clipped', accumulation: 2, clipNorm: 0.5 },
  ]) {
    void test(`2 replicas × half batch match 1 × full batch after 3 steps (${c.name}); tensors flat`, async () => {
      const single = tinyModel();
      const singleOpt = adamw(single);
      const dp = tinyModel();
      const dpOpt = adamw(dp);
      const pool = await ReplicaPool.start(dp, {
        replicas: 2,
        backend: 'wasm',
        seed: 3,
        spawn: spawnReplica,
      });
      try {
        const data = batches(3 * c.accumulation);
        let tensors = -1;
        for (let s = 0; s < 3; s++) {
          const step = data.slice(s * c.accumulation, (s + 1) * c.accumulation);
          const opts = { lr: 0.01, clipNorm: c.clipNorm };
          const a = await trainStep(single, singleOpt, step, opts);
          const b = await pool.step(dp, dpOpt, step, opts);
          assert.equal(b.applied, true);
          assert.equal(b.targets, a.targets);
          assert.ok(Math.abs(a.loss - b.loss) < 1e-4, `step ${s}: loss ${a.loss} vs ${b.loss}`);
          assert.ok(
            Math.abs(a.gradNorm - b.gradNorm) < 1e-4,
            `step ${s}: norm ${a.gradNorm} vs ${b.gradNorm}`,
          );
          assert.ok(Math.abs(a.accuracy - b.accuracy) < 1e-9);
          if (s === 0) tensors = tf.memory().numTensors;
          else assert.equal(tf.memory().numTensors, tensors, 'leader tensors flat');
        }
        assert.ok(maxDiff(single, dp) < 1e-4, `weights differ by ${maxDiff(single, dp)}`);
        const replicaBefore = pool.replicaTensors[0];
        await pool.step(dp, dpOpt, data.slice(0, c.accumulation), { lr: 0.01, clipNorm: c.clipNorm });
        assert.ok(replicaBefore > 0);
        assert.equal(pool.replicaTensors[0], replicaBefore, 'replica tensors flat');
      } finally {
        await pool.close();
        singleOpt.dispose();
        single.dispose();
        dpOpt.dispose();
        dp.dispose();
      }
      assert.equal(ReplicaPool.liveThreads, 0);
    });
  }

  void test('with dropout, a seeded run is deterministic and resumes exactly (weights, moments, dropout stream)', async () => {
    const data = batches(3);
    const opts = { lr: 0.01, clipNorm: 1 };
    // Reference: 3 steps in one go.
    const a = tinyModel(0.1);
    const aOpt = adamw(a);
    const poolA = await ReplicaPool.start(a, { replicas: 2, backend: 'wasm', seed: 3, spawn: spawnReplica });
    const lossesA: number[] = [];
    for (const b of data) lossesA.push((await poolA.step(a, aOpt, [b], opts)).loss);
    await poolA.close();
    // 1 step, then a "resume" into a fresh model, optimizer and pool (what a checkpoint carries), 2 more.
    const b = tinyModel(0.1);
    const bOpt = adamw(b);
    const poolB = await ReplicaPool.start(b, { replicas: 2, backend: 'wasm', seed: 3, spawn: spawnReplica });
    const lossesB = [(await poolB.step(b, bOpt, [data[0]], opts)).loss];
    await poolB.close();
    const c = tinyModel(0.1);
    c.loadHfState(b.toHfState());
    c.setRngState!(b.getRngState!());
    const cOpt = adamw(c);
    cOpt.setState(await bOpt.getState());
    const poolC = await ReplicaPool.start(c, { replicas: 2, backend: 'wasm', seed: 3, spawn: spawnReplica });
    for (const x of data.slice(1)) lossesB.push((await poolC.step(c, cOpt, [x], opts)).loss);
    await poolC.close();
    assert.deepEqual(lossesB, lossesA);
    assert.equal(maxDiff(a, c), 0);
    // Dropout is on: the same steps without dropout give another loss.
    const d = tinyModel(0);
    const dOpt = adamw(d);
    assert.notEqual((await trainStep(d, dOpt, [data[0]], opts)).loss, lossesA[0]);
    for (const m of [a, b, c, d]) m.dispose();
    for (const o of [aOpt, bOpt, cOpt, dOpt]) o.dispose();
  });

  void test('closing the pool mid-step fails the step and ends the threads', async () => {
    const model = tinyModel();
    const opt = adamw(model);
    const pool = await ReplicaPool.start(model, {
      replicas: 3,
      backend: 'wasm',
      seed: 3,
      spawn: spawnReplica,
    });
    assert.equal(ReplicaPool.liveThreads, 2);
    // The leader's share runs before step() returns its promise; the workers' replies are still pending.
    const failed = assert.rejects(pool.step(model, opt, batches(1), { lr: 0.01, clipNorm: 1 }), /stopped/);
    await pool.close();
    await failed;
    assert.equal(ReplicaPool.liveThreads, 0);
    opt.dispose();
    model.dispose();
  });

  void test('a run with training.dataParallel 2 trains, stops on abort and ends its threads', async () => {
    const cwd = syntheticWorkspace(2, 60);
    const control = new AbortController();
    let steps = 0;
    let sawThreads = 0;
    const summary = await runTraining(
      tinyConfig({ training: { dataParallel: 2, maxSteps: 50, evalEvery: 100 } }),
      {
        cwd,
        spawnReplica,
        control: { signal: control.signal },
        callbacks: {
          onMetrics: (m) => {
            if (m.split !== 'train') return;
            steps = m.step;
            sawThreads = Math.max(sawThreads, ReplicaPool.liveThreads);
            if (m.step >= 3) control.abort();
          },
        },
      },
    );
    assert.equal(summary.stoppedBy, 'stopped', summary.error);
    assert.equal(steps, 3);
    assert.equal(sawThreads, 1);
    assert.ok(Number.isFinite(summary.lastTrain?.loss));
    assert.equal(ReplicaPool.liveThreads, 0);
  });
});
