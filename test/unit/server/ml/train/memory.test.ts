/**
 * train/memory.ts: the parameter count against the models' own variables, the plan (fewer rows per pass, then
 * a refusal with the numbers), passes that give the same step as the whole micro-batch, and the back-off on a
 * real allocation failure of the wasm heap guard (no tensor left behind).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import {
  setWasmHeapLimit,
  WASM_HEAP_MAX_BYTES,
  wasmHeapStats,
} from '../../../../../server/ml/backend/wasmHeap';
import { bertPreset, bigruConfig, createModel } from '../../../../../server/ml/model';
import { AdamW } from '../../../../../server/ml/train/adamw';
import {
  MemoryBackoff,
  memoryRefusal,
  OutOfMemoryError,
  parameterCount,
  planTrainingMemory,
} from '../../../../../server/ml/train/memory';
import { trainStep } from '../../../../../server/ml/train/step';
import type { ModelConfig, MlmModel } from '../../../../../server/ml/types';
import { paddedMaskedBatches } from './trainFixtures';

const GiB = 2 ** 30;
const V = 40;

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const noDropout = (): ModelConfig => ({
  ...bertPreset('tiny', V, 16),
  hiddenSize: 16,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 32,
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
});

function setup(): { model: MlmModel; opt: AdamW } {
  const model = createModel(noDropout(), { seed: 3 });
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
  return { model, opt };
}

const weights = (m: MlmModel) => [...m.variables.values()].flatMap((v) => [...v.dataSync()]);

void describe('train/memory', () => {
  const configs: Array<[string, ModelConfig]> = [
    ['tiny', bertPreset('tiny', 8192)],
    ['base', bertPreset('base', 30522)],
    ['bert 1 layer', noDropout()],
    ['bigru', bigruConfig(300, { embeddingDim: 8, gruUnits: 16 })],
  ];
  for (const [name, config] of configs) {
    void test(`parameterCount(${name}) is the model's own parameter count`, () => {
      const model = createModel(config, { seed: 1 });
      const own = [...model.variables.values()].reduce((s, v) => s + v.size, 0);
      model.dispose();
      assert.equal(parameterCount(config), own);
    });
  }

  const base = { seqLen: 128, targetFraction: 0.15, backend: 'wasm', machineBytes: 24 * GiB };
  const plans: Array<{
    name: string;
    model: ModelConfig;
    batchSize: number;
    replicas: number;
    heap: number;
    expect: { fits: boolean; replicas: number; rowsPerPass: number; chunks: number };
  }> = [
    {
      name: 'tiny, batch 16 on 2 replicas fits as given',
      model: bertPreset('tiny', 8192),
      batchSize: 16,
      replicas: 2,
      heap: WASM_HEAP_MAX_BYTES,
      expect: { fits: true, replicas: 2, rowsPerPass: 8, chunks: 1 },
    },
    {
      name: 'base (issue 19), batch 16 on 2 replicas: 2 rows per pass, 4 passes',
      model: bertPreset('base', 8192),
      batchSize: 16,
      replicas: 2,
      heap: WASM_HEAP_MAX_BYTES,
      expect: { fits: true, replicas: 2, rowsPerPass: 2, chunks: 4 },
    },
    {
      name: 'base, batch 8 on 1 replica: 2 rows per pass',
      model: bertPreset('base', 8192),
      batchSize: 8,
      replicas: 1,
      heap: WASM_HEAP_MAX_BYTES,
      expect: { fits: true, replicas: 1, rowsPerPass: 2, chunks: 4 },
    },
    {
      name: 'base in a 1 GiB heap cannot fit even at 1 row',
      model: bertPreset('base', 8192),
      batchSize: 8,
      replicas: 1,
      heap: GiB,
      expect: { fits: false, replicas: 1, rowsPerPass: 1, chunks: 8 },
    },
  ];
  for (const p of plans) {
    void test(`plan: ${p.name}`, () => {
      const plan = planTrainingMemory({
        ...base,
        model: p.model,
        batchSize: p.batchSize,
        replicas: p.replicas,
        heapLimitBytes: p.heap,
      });
      const e = plan.estimate;
      assert.deepEqual(
        { fits: e.fits, replicas: e.replicas, rowsPerPass: e.rowsPerPass, chunks: e.chunks },
        p.expect,
      );
      if (e.fits) assert.ok(Math.max(e.leaderBytes, e.replicaBytes) <= e.heapLimitBytes!);
      assert.equal(plan.adjusted !== undefined, e.fits && e.chunks > 1);
    });
  }

  void test('the refusal names the numbers and the settings to change', () => {
    const { estimate } = planTrainingMemory({
      ...base,
      model: bertPreset('base', 8192),
      batchSize: 8,
      replicas: 1,
      heapLimitBytes: GiB,
    });
    const err = memoryRefusal(estimate, { preset: 'base', seqLen: 128 });
    assert.ok(err instanceof OutOfMemoryError);
    assert.match(err.message, /needs 2\.\d GiB on the leader \(weights 352 MiB \+ AdamW 705 MiB/);
    assert.match(err.message, /WebAssembly heap holds at most 6\d\d MiB/);
    assert.match(err.message, /data\.seqLen \(now 128\).*model\.preset \(now base\)/);
  });

  void test('a step in 2 or 3 passes is the step of the whole micro-batch', () => {
    const batches = paddedMaskedBatches(2, 6, V);
    const results = [1, 2, 3].map((chunks) => {
      const { model, opt } = setup();
      const r = trainStep(model, opt, batches, { lr: 0.01, clipNorm: 1, chunks });
      const w = weights(model);
      opt.dispose();
      model.dispose();
      return { r, w };
    });
    for (const { r, w } of results.slice(1)) {
      assert.ok(Math.abs(r.loss - results[0].r.loss) < 1e-5, `loss ${r.loss} vs ${results[0].r.loss}`);
      assert.ok(Math.abs(r.gradNorm - results[0].r.gradNorm) < 1e-4);
      assert.equal(r.accuracy, results[0].r.accuracy);
      const maxDiff = w.reduce((m, x, i) => Math.max(m, Math.abs(x - results[0].w[i])), 0);
      assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
    }
  });

  void test('an allocation failure backs off to fewer rows per pass: same step, no tensor left behind', async () => {
    const batches = paddedMaskedBatches(1, 8, V);
    const reference = setup();
    const want = trainStep(reference.model, reference.opt, batches, { lr: 0.01, clipNorm: 1 });
    reference.opt.dispose();
    reference.model.dispose();

    const { model, opt } = setup();
    const tensors = tf.memory().numTensors;
    const logs: string[] = [];
    const passes: number[] = [];
    const backoff = new MemoryBackoff(
      1,
      8,
      (_level, m) => logs.push(m),
      (c) => passes.push(c),
    );
    const live = wasmHeapStats()!.liveBytes;
    let calls = 0;
    try {
      const got = await backoff.run((chunks) => {
        calls++;
        // A ceiling that 8 rows per pass overflow and 2 rows do not (the guard's reserve is added back).
        setWasmHeapLimit(live + 192 * 2 ** 20 + (chunks < 4 ? 40_000 : 4 * GiB));
        return trainStep(model, opt, batches, { lr: 0.01, clipNorm: 1, chunks });
      });
      assert.ok(calls > 1, 'the first try should have run out of memory');
      assert.equal(backoff.chunks, 4);
      assert.deepEqual(passes, [2, 4], 'each back-off is reported (the loop re-sends the estimate)');
      assert.match(logs[0], /out of memory at 8 rows per pass .* halved to 4 rows/);
      assert.ok(Math.abs(got.loss - want.loss) < 1e-5);
      assert.equal(tf.memory().numTensors, tensors);
    } finally {
      setWasmHeapLimit(WASM_HEAP_MAX_BYTES);
      opt.dispose();
      model.dispose();
    }
  });

  void test('out of memory at one row per pass is an OutOfMemoryError naming what to change', async () => {
    const backoff = new MemoryBackoff(1, 2, () => {});
    await assert.rejects(
      backoff.run(() => {
        throw new Error('out of memory on the WebAssembly heap: 9 MiB asked');
      }),
      (err: Error) =>
        err instanceof OutOfMemoryError && /even at 1 row per pass .*data\.seqLen/.test(err.message),
    );
    assert.equal(backoff.chunks, 2);
  });
});
