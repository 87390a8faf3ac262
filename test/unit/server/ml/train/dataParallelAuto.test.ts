import assert from 'node:assert/strict';
import os from 'node:os';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { bertPreset } from '../../../../../server/ml/model';
import { trainFlopsPerToken } from '../../../../../server/ml/train/flops';
import { resolveDataParallel, type DataParallelContext } from '../../../../../server/ml/train/parallel';
import { ReplicaPool } from '../../../../../server/ml/train/parallel/pool';
import { runTraining } from '../../../../../server/ml/train/run';
import { spawnReplica } from '../../../../../server/worker/replicas';
import { syntheticWorkspace, tinyConfig } from './trainFixtures';

const W1: DataParallelContext = { backend: 'wasm', threads: 1, cores: 2, batchSize: 32, stepFlops: 80e9 };

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe('training.dataParallel "auto"', () => {
  const cases: {
    name: string;
    setting: number | 'auto';
    ctx: Partial<DataParallelContext>;
    replicas: number;
    why: RegExp;
  }[] = [
    { name: 'W1 on 2 cores', setting: 'auto', ctx: {}, replicas: 2, why: /2 cores/ },
    { name: '8 cores, capped at 4', setting: 'auto', ctx: { cores: 8 }, replicas: 4, why: /8 cores/ },
    {
      name: 'batch 12 on 8 cores: 4 rows each',
      setting: 'auto',
      ctx: { cores: 8, batchSize: 12 },
      replicas: 3,
      why: /cores/,
    },
    { name: 'one core', setting: 'auto', ctx: { cores: 1 }, replicas: 1, why: /one core/ },
    {
      name: 'batch 6 cannot give 2 × 4 rows',
      setting: 'auto',
      ctx: { batchSize: 6 },
      replicas: 1,
      why: /too small/,
    },
    { name: 'a tiny model', setting: 'auto', ctx: { stepFlops: 6e6 }, replicas: 1, why: /small: ~6 MFLOP/ },
    {
      name: 'tfjs-node',
      setting: 'auto',
      ctx: { backend: 'tensorflow' },
      replicas: 1,
      why: /tensorflow backend/,
    },
    {
      name: 'threaded binary asked for',
      setting: 'auto',
      ctx: { threads: 2 },
      replicas: 1,
      why: /2 threads/,
    },
    { name: 'explicit 3 is kept', setting: 3, ctx: { cores: 1 }, replicas: 3, why: /dataParallel 3/ },
    { name: 'explicit 1 is off', setting: 1, ctx: {}, replicas: 1, why: /dataParallel 1/ },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const r = resolveDataParallel(c.setting, { ...W1, ...c.ctx });
      assert.equal(r.replicas, c.replicas);
      assert.match(r.why, c.why);
    });
  }

  void test("the step's work is the model's training FLOPs per token (train/flops.ts) × tokens: W1 splits, a test model does not", () => {
    const w1 =
      trainFlopsPerToken(bertPreset('mini', 8192, 128), { seqLen: 128, targetFraction: 0.15 }) * 32 * 128;
    assert.ok(w1 > 90e9 && w1 < 93e9, String(w1)); // 22.4 MFLOP per token × 4,096 tokens
    assert.equal(resolveDataParallel('auto', { ...W1, stepFlops: w1 }).replicas, 2);
    const c = tinyConfig().model.overrides;
    const small =
      trainFlopsPerToken(
        {
          ...bertPreset('tiny', 64, 32),
          hiddenSize: c.hiddenSize!,
          numHiddenLayers: c.numHiddenLayers!,
          numAttentionHeads: c.numAttentionHeads!,
          intermediateSize: c.intermediateSize!,
        },
        { seqLen: 32, targetFraction: 0.15 },
      ) *
      8 *
      32;
    assert.equal(resolveDataParallel('auto', { ...W1, batchSize: 8, stepFlops: small }).replicas, 1);
  });

  void test('a run with "auto" and a model too small to split trains on one thread and says why', async () => {
    const logs: string[] = [];
    const summary = await runTraining(tinyConfig({ training: { dataParallel: 'auto', maxSteps: 2 } }), {
      cwd: syntheticWorkspace(2, 30),
      callbacks: { onLog: (_level, message) => logs.push(message) },
    });
    assert.equal(summary.stoppedBy, 'max-steps', summary.error);
    assert.ok(
      logs.some((l) => /dataParallel "auto": one thread \(the model is small/.test(l)),
      logs.join('\n'),
    );
    assert.equal(ReplicaPool.liveThreads, 0);
  });

  void test('a run with "auto" and a model large enough uses one replica per core (up to 4)', async () => {
    const logs: string[] = [];
    let threads = 0;
    const summary = await runTraining(
      tinyConfig({
        model: {
          overrides: { hiddenSize: 256, intermediateSize: 1024, numAttentionHeads: 4, numHiddenLayers: 2 },
        },
        training: { dataParallel: 'auto', maxSteps: 2, batchSize: 8, evalEvery: 100 },
      }),
      {
        cwd: syntheticWorkspace(2, 30),
        spawnReplica,
        callbacks: {
          onLog: (_level, message) => logs.push(message),
          onMetrics: () => (threads = Math.max(threads, ReplicaPool.liveThreads)),
        },
      },
    );
    assert.equal(summary.stoppedBy, 'max-steps', summary.error);
    const expected = Math.min(os.availableParallelism(), 4, 2);
    if (expected >= 2) {
      assert.ok(
        logs.some((l) => l.startsWith(`data parallel: ${expected} replicas`)),
        logs.join('\n'),
      );
      assert.equal(threads, expected - 1);
    } else {
      assert.ok(
        logs.some((l) => /one core/.test(l)),
        logs.join('\n'),
      );
    }
    assert.equal(ReplicaPool.liveThreads, 0);
  });
});
