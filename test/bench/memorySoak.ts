/**
 * Memory soak: many training steps through the product's trainStep, sampling RSS, the JS heap, the wasm
 * heap (tf.memory().numBytes counts tensors only) and live tensors. The issue asks for 10,000 steps; the
 * default is shorter, `--steps 10000` runs the full soak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bertPreset, createModel, type BertPresetName } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { trainStep } from '../../server/ml/train/step';
import { fmt, type Reporter } from './report';
import { w1Batches } from './trainingBatches';

export interface SoakOptions {
  preset: BertPresetName;
  steps: number;
  batchSize: number;
  seqLen: number;
  sampleEvery: number;
  seed: number;
}

export const SOAK_DEFAULTS: SoakOptions = {
  preset: 'tiny',
  steps: 2000,
  batchSize: 8,
  seqLen: 128,
  sampleEvery: 100,
  seed: 7,
};

interface Sample {
  step: number;
  rssMB: number;
  heapMB: number;
  tensors: number;
  tensorMB: number;
  lossAvg: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

export async function runSoak(opts: SoakOptions, out: Reporter): Promise<void> {
  const config = { ...bertPreset(opts.preset, 8192, opts.seqLen) };
  const model = createModel(config, { seed: opts.seed });
  const optimizer = new AdamW(model.variables, {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0.01,
  });
  const samples: Sample[] = [];
  const t0 = performance.now();
  let lossSum = 0;
  for (let step = 1; step <= opts.steps; step++) {
    // A fresh dynamically masked batch every step, as in training.
    const [batch] = w1Batches({
      count: 1,
      batchSize: opts.batchSize,
      seqLen: opts.seqLen,
      vocabSize: 8192,
      seed: opts.seed * 100003 + step,
    });
    lossSum += (await trainStep(model, optimizer, [batch], { lr: 1e-3, clipNorm: 1 })).loss;
    if (step % opts.sampleEvery === 0) {
      const m = process.memoryUsage();
      const t = tf.memory();
      samples.push({
        step,
        rssMB: m.rss / 2 ** 20,
        heapMB: m.heapUsed / 2 ** 20,
        tensors: t.numTensors,
        tensorMB: t.numBytes / 2 ** 20,
        lossAvg: lossSum / opts.sampleEvery,
      });
      lossSum = 0;
      out.info('soak-sample', { ...samples[samples.length - 1] });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  optimizer.dispose();
  if (samples.length < 2)
    throw new Error(
      `soak: ${opts.steps} steps give fewer than 2 samples: use --steps ≥ ${2 * opts.sampleEvery}`,
    );
  // Growth after the first sample (allocator and JIT warm-up happen before it).
  const later = samples.slice(1);
  const perK = (k: keyof Sample) =>
    1000 *
    slope(
      later.map((s) => s.step),
      later.map((s) => s[k]),
    );
  const first = samples[0];
  const last = samples[samples.length - 1];
  const maxRss = Math.max(...samples.map((s) => s.rssMB));
  out.record({
    workload: 'soak',
    system: 'ours',
    metric: 'rss_growth_mb_per_1000_steps',
    value: perK('rssMB'),
    unit: 'MB/1000 steps',
    preset: opts.preset,
    steps: opts.steps,
    batchSize: opts.batchSize,
    seqLen: opts.seqLen,
    seconds,
    rssFirstMB: first.rssMB,
    rssLastMB: last.rssMB,
    rssMaxMB: maxRss,
    tensorsFirst: first.tensors,
    tensorsLast: last.tensors,
    heapGrowthMBPer1000: perK('heapMB'),
    samples: samples.map((s) => s.rssMB),
  });
  out.row([
    'soak',
    `${opts.steps} steps ${opts.preset} b${opts.batchSize}×${opts.seqLen}: RSS MB first→last (max)`,
    `${fmt(first.rssMB)} → ${fmt(last.rssMB)} (${fmt(maxRss)})`,
    '—',
    `${fmt(perK('rssMB'))} MB / 1000 steps`,
  ]);
  out.row([
    'soak',
    'live tensors first → last',
    `${first.tensors} → ${last.tensors}`,
    '—',
    `loss ${fmt(first.lossAvg)} → ${fmt(last.lossAvg)}`,
  ]);
}
