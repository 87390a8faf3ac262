/**
 * Memory of a training step on the wasm backend, part by part, measured with the heap guard's live/peak tensor
 * bytes (server/ml/backend/wasmHeap.ts) — the figures train/memory.ts's MEMORY_CALIBRATION comes from:
 * weights, AdamW's moments, then for each row count one forward/backward pass (microBatchGradients, as every
 * training step runs it) and its peak above the weights and moments; per row = the slope between row counts,
 * backprop = the rest. Also the heap's size (it only grows) and the estimate for the same settings.
 * `npm run bench -- memory --preset base --rows 1,2` (seqLen 128, vocab 8192, like the default run).
 */
import * as tf from '@tensorflow/tfjs-core';
import { resetWasmPeak, wasmHeapStats } from '../../server/ml/backend/wasmHeap';
import { maskBatch } from '../../server/ml/data/masking';
import { SeededRng } from '../../server/ml/data/rng';
import { bertPreset, createModel, type BertPresetName } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { estimateTrainingMemory, parameterCount } from '../../server/ml/train/memory';
import { microBatchGradients, mlmLoss } from '../../server/ml/train/step';
import { fmt, type Reporter } from './report';

export interface MemoryBenchOptions {
  preset: BertPresetName;
  rows: number[];
  seqLen: number;
  vocabSize: number;
}

export const MEMORY_DEFAULTS: MemoryBenchOptions = {
  preset: 'mini',
  rows: [1, 4],
  seqLen: 128,
  vocabSize: 8192,
};

const MiB = 2 ** 20;

export function runMemory(opts: MemoryBenchOptions, out: Reporter): void {
  const stats = () => {
    const s = wasmHeapStats();
    if (!s) throw new Error('the memory bench needs the wasm backend (--backend wasm)');
    return s;
  };
  const { preset, seqLen, vocabSize } = opts;
  const record = (metric: string, bytes: number, extra: Record<string, unknown> = {}) =>
    out.record({
      workload: 'memory',
      system: 'ours',
      metric,
      value: bytes / MiB,
      unit: 'MiB',
      preset,
      ...extra,
    });
  const live0 = stats().liveBytes;
  const config = bertPreset(preset, vocabSize, Math.max(512, seqLen));
  const model = createModel(config, { seed: 1 });
  const weights = stats().liveBytes - live0;
  const optimizer = new AdamW(model.variables, {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-6,
    weightDecay: 0.01,
  });
  const moments = stats().liveBytes - live0 - weights;
  record('weights', weights, { parameters: parameterCount(config) });
  record('adamw moments', moments);
  const vars = [...model.variables.values()];
  const peaks: Array<{ rows: number; peak: number; ms: number }> = [];
  try {
    for (const rows of opts.rows) {
      const rng = new SeededRng(5);
      const examples = Array.from({ length: rows }, () => ({
        ids: Int32Array.from({ length: seqLen }, () => 5 + rng.int(vocabSize - 5)),
        length: seqLen,
        wordStart: new Uint8Array(seqLen).fill(1),
      }));
      const { batch } = maskBatch(
        examples,
        rng,
        { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false },
        { vocabSize, special: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 } },
      );
      const before = stats().liveBytes;
      resetWasmPeak();
      const t0 = performance.now();
      const { value, grads, correct } = microBatchGradients(mlmLoss(model), batch, vars);
      const ms = performance.now() - t0;
      tf.dispose([value, correct, ...Object.values(grads)]);
      const peak = stats().peakBytes - before;
      peaks.push({ rows, peak, ms });
      record(`pass peak, ${rows} row${rows > 1 ? 's' : ''}`, peak, {
        rows,
        seqLen,
        ms,
        heapMiB: stats().heapBytes / MiB,
      });
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  const first = peaks[0];
  const last = peaks[peaks.length - 1];
  const perRow = last.rows > first.rows ? (last.peak - first.peak) / (last.rows - first.rows) : NaN;
  const backprop = first.peak - first.rows * perRow;
  record('activations per row (slope)', perRow, { seqLen });
  record('backprop, batch-independent', backprop, { perWeightByte: backprop / weights });
  const estimate = estimateTrainingMemory({
    model: config,
    seqLen,
    targetFraction: 0.15,
    batchSize: last.rows,
    replicas: 1,
    chunks: 1,
    backend: 'wasm',
    heapLimitBytes: stats().limitBytes,
  });
  const measuredLeader = weights + moments + last.peak;
  out.row(['memory', `${preset} weights + AdamW`, `${fmt((weights + moments) / MiB)} MiB`, '', '']);
  out.row([
    'memory',
    `${preset} activations / row (seq ${seqLen})`,
    `${fmt(perRow / MiB)} MiB`,
    `${fmt(estimate.activationsPerRowBytes / MiB)} MiB`,
    'estimate',
  ]);
  out.row([
    'memory',
    `${preset} backprop (fixed)`,
    `${fmt(backprop / MiB)} MiB`,
    `${fmt(estimate.backpropBytes / MiB)} MiB`,
    'estimate',
  ]);
  out.row([
    'memory',
    `${preset} leader peak, ${last.rows} rows`,
    `${fmt(measuredLeader / MiB)} MiB`,
    `${fmt(estimate.leaderBytes / MiB)} MiB`,
    `estimate / measured ${(estimate.leaderBytes / measuredLeader).toFixed(2)}`,
  ]);
  out.row(['memory', `${preset} wasm heap size`, `${fmt(stats().heapBytes / MiB)} MiB`, '', 'it only grows']);
}
