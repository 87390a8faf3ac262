import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { listCheckpoints, readMetrics, readWeights } from '../../../../../server/ml/checkpoint';
import { runTraining } from '../../../../../server/ml/train/run';
import type { MetricRecord } from '../../../../../server/ml/types';
import { PauseGate } from '../../../../../server/worker/pauseGate';
import { syntheticWorkspace, tinyConfig } from './trainFixtures';

let ws: string;
void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
  ws = syntheticWorkspace();
});
void after(() => fs.rmSync(ws, { recursive: true, force: true }));

function trainLosses(runDir: string): Map<number, number> {
  return new Map(
    readMetrics(runDir)
      .filter((m) => m.split === 'train')
      .map((m) => [m.step, m.loss]),
  );
}

void describe('runTraining', () => {
  void test('BERT learns: held-out masked-token accuracy clearly above the unigram baseline; run folder complete', async () => {
    const metrics: MetricRecord[] = [];
    const s = await runTraining(
      tinyConfig({
        data: { mode: 'line', seqLen: 16 },
        training: { maxSteps: 80, evalEvery: 40, lr: 0.005, batchSize: 16 },
      }),
      {
        cwd: ws,
        callbacks: { onMetrics: (m) => metrics.push(m) },
      },
    );
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    assert.equal(s.steps, 80);
    const acc = s.bestEval!.accuracy!;
    process.stdout.write(
      `# bert: eval accuracy ${acc.toFixed(3)} vs unigram baseline ${s.baselineAccuracy!.toFixed(3)}\n`,
    );
    assert.ok(acc > s.baselineAccuracy! + 0.15, `accuracy ${acc} vs baseline ${s.baselineAccuracy}`);
    for (const f of ['config.json', 'tokenizer.json', 'vocab.txt', 'metrics.jsonl', 'run.json']) {
      assert.ok(fs.existsSync(path.join(s.runDir, f)), f);
    }
    assert.deepEqual(
      listCheckpoints(s.runDir).map((c) => c.step),
      [40, 60, 80], // every 20 steps, keepLast 3: step 20 was rotated out
    );
    assert.equal(readMetrics(s.runDir).length, metrics.length);
    // reliability: 32 loss spike — the default guard (on after 50 steps) never trips on a normal run.
    assert.equal(metrics.filter((m) => m.split === 'train').at(-1)!.lossSpikes, 0);
    const rates = s.maskingRates;
    assert.ok(Math.abs(rates.targetRate - 0.15) < 0.03 && rates.targets > 500, JSON.stringify(rates));
  });

  void test('BiGRU learns too', async () => {
    const s = await runTraining(
      tinyConfig({
        model: { arch: 'bigru', dropout: 0, overrides: { embeddingDim: 32, gruUnits: 32 } },
        data: { mode: 'line', seqLen: 16 },
        training: { maxSteps: 80, lr: 0.03, evalEvery: 80, batchSize: 16 },
      }),
      { cwd: ws },
    );
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    const acc = s.bestEval!.accuracy!;
    process.stdout.write(
      `# bigru: eval accuracy ${acc.toFixed(3)} vs unigram baseline ${s.baselineAccuracy!.toFixed(3)}\n`,
    );
    assert.ok(acc > s.baselineAccuracy! + 0.15, `accuracy ${acc} vs baseline ${s.baselineAccuracy}`);
  });

  void test('reliability: 10 exact resume — 40 steps straight = 20 + resume + 20 (same final loss within 1e-4), same seed = same curve', async () => {
    const straight = await runTraining(tinyConfig(), { cwd: ws });
    assert.equal(straight.steps, 40, straight.error);
    const abort = new AbortController();
    const first = await runTraining(tinyConfig(), {
      cwd: ws,
      control: { signal: abort.signal },
      callbacks: { onCheckpoint: (c) => c.step === 20 && abort.abort() },
    });
    assert.equal(first.stoppedBy, 'stopped');
    assert.equal(first.steps, 20);
    const a = trainLosses(straight.runDir);
    const b1 = trainLosses(first.runDir);
    for (let s = 1; s <= 20; s++) assert.equal(b1.get(s), a.get(s), `step ${s}: same seed, same loss`);

    const resumed = await runTraining(tinyConfig(), { cwd: ws, resumeFrom: first.runDir });
    assert.equal(resumed.stoppedBy, 'max-steps', resumed.error);
    assert.equal(resumed.steps, 40);
    const b = trainLosses(first.runDir);
    for (const s of [21, 30, 40]) {
      assert.ok(Math.abs(b.get(s)! - a.get(s)!) < 1e-4, `step ${s}: ${b.get(s)} vs ${a.get(s)}`);
    }
    assert.ok(Math.abs(resumed.bestEval!.loss - straight.bestEval!.loss) < 1e-4);
    // the metrics history has each step once
    const steps = readMetrics(first.runDir)
      .filter((m) => m.split === 'train')
      .map((m) => m.step);
    assert.deepEqual(
      steps,
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  void test('reliability: 12 non-finite loss — NaN guard: with lr 1e6 steps become non-finite, are skipped and counted, then training stops with a clear error and never saves non-finite weights', async () => {
    const logs: string[] = [];
    const s = await runTraining(
      tinyConfig({
        training: { lr: 1e6, warmupSteps: 0, clipNorm: null, maxSteps: 200, maxNonFinite: 3 },
        checkpoint: { every: 1 },
      }),
      { cwd: ws, callbacks: { onLog: (_l, m) => logs.push(m) } },
    );
    assert.equal(s.stoppedBy, 'error');
    assert.match(s.error!, /3 steps in a row had a non-finite loss or gradient.*lower training\.lr/);
    assert.ok(logs.some((l) => /skipped: non-finite/.test(l)));
    for (const c of listCheckpoints(s.runDir)) {
      for (const [name, t] of readWeights(c.dir))
        assert.ok(t.data.every(Number.isFinite), `${c.dir} ${name}`);
    }
    const run = JSON.parse(fs.readFileSync(path.join(s.runDir, 'run.json'), 'utf8')) as { status: string };
    assert.equal(run.status, 'failed');
  });

  void test('early stopping: eval loss not improving for `patience` evaluations stops the run', async () => {
    const logs: string[] = [];
    const s = await runTraining(
      tinyConfig({
        training: { lr: 1e-12, warmupSteps: 0, maxSteps: 50, evalEvery: 2, earlyStoppingPatience: 2 },
        checkpoint: { every: 100 },
      }),
      { cwd: ws, callbacks: { onLog: (_l, m) => logs.push(m) } },
    );
    assert.equal(s.stoppedBy, 'early-stopping', s.error);
    assert.equal(s.steps, 6); // best at 2, no improvement at 4 and 6
    assert.equal(s.bestEval!.step, 2);
    assert.ok(logs.some((l) => /early stopping at step 6/.test(l)));
    assert.equal(s.bestCheckpoint, path.join(s.runDir, 'checkpoints', 'step-2'));
  });

  void test('every eval publishes a checkpoint (rotation keeps keepLast + best); train rows carry the masking rates; a pause is reported', async () => {
    const published: number[] = [];
    const phases: string[] = [];
    const gate = new PauseGate();
    const s = await runTraining(
      tinyConfig({
        training: { lr: 1e-12, warmupSteps: 0, maxSteps: 20, evalEvery: 5 },
        checkpoint: { every: 1000, keepLast: 1 },
      }),
      {
        cwd: ws,
        control: { waitIfPaused: () => gate.wait(), isPaused: () => gate.paused },
        callbacks: {
          onCheckpoint: (c) => published.push(c.step),
          onMetrics: (m) => m.split === 'train' && m.step === 7 && gate.pause(),
          onPhase: (p) => {
            phases.push(p);
            if (p === 'paused') setImmediate(() => gate.resume());
          },
        },
      },
    );
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    assert.deepEqual(published, [5, 10, 15, 20]);
    // lr ≈ 0: the first eval stays the best; keepLast 1 keeps the newest, keepBest keeps step 5
    assert.equal(s.bestEval!.step, 5);
    assert.deepEqual(
      listCheckpoints(s.runDir).map((c) => c.step),
      [5, 20],
    );
    const train = readMetrics(s.runDir).filter((m) => m.split === 'train');
    assert.equal(train.length, 20);
    for (const m of train) {
      for (const k of ['targetRate', 'maskRate', 'randomRate', 'keepRate'] as const) {
        assert.ok(typeof m[k] === 'number' && m[k] >= 0 && m[k] <= 1, `step ${m.step} ${k}: ${m[k]}`);
      }
      assert.ok(Math.abs(m.maskRate! + m.randomRate! + m.keepRate! - 1) < 1e-9);
      // Compute: FLOPs per token of the model, the peak measured at run start, MFU = achieved / peak.
      if (m.tokensPerSec !== undefined) {
        assert.ok(m.flopsPerToken! > 0, `step ${m.step}: flopsPerToken ${m.flopsPerToken}`);
        assert.ok(m.peakGflops! > 0 && Math.abs(m.mfu! - m.achievedGflops! / m.peakGflops!) < 1e-12);
      }
    }
    assert.ok(
      train.some((m) => m.mfu !== undefined),
      'train rows carry the MFU',
    );
    const last = train[train.length - 1];
    assert.equal(last.targetRate, s.maskingRates.targetRate);
    const i = phases.indexOf('paused');
    assert.ok(i > 0, phases.join(' '));
    assert.equal(phases[i + 1], 'training');
    assert.equal(phases.filter((p) => p === 'paused').length, 1);
  });

  void test('a time budget stops the run (the schedule follows the clock)', async () => {
    const s = await runTraining(
      tinyConfig({ training: { maxSteps: null, timeBudget: '300ms', warmupSteps: null } }),
      {
        cwd: ws,
      },
    );
    assert.equal(s.stoppedBy, 'time-budget', s.error);
    assert.ok(s.steps < 100_000);
  });

  void test('a checkpoint that cannot be written (disk full, bad folder) is reported once and training continues', async () => {
    const root = fs.mkdtempSync(path.join(ws, 'runs-'));
    fs.mkdirSync(path.join(root, 'blocked'));
    fs.writeFileSync(path.join(root, 'blocked', 'checkpoints'), 'a file where the folder should be');
    const errors: string[] = [];
    const s = await runTraining(
      tinyConfig({
        training: { maxSteps: 12, evalEvery: 100 },
        checkpoint: { every: 3 },
        output: { dir: root },
      }),
      { cwd: ws, runId: 'blocked', callbacks: { onLog: (l, m) => l === 'error' && errors.push(m) } },
    );
    assert.equal(s.stoppedBy, 'max-steps', s.error);
    assert.equal(s.steps, 12);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /checkpoint at step 3 not saved/);
  });

  void test('a corpus without text fails with a message naming the globs', async () => {
    const empty = fs.mkdtempSync(path.join(ws, 'empty-'));
    const s = await runTraining(tinyConfig(), { cwd: empty });
    assert.equal(s.stoppedBy, 'error');
    assert.match(s.error!, /no text found: corpus\.include/);
    assert.equal(tf.memory().numTensors, tf.memory().numTensors);
  });
});
