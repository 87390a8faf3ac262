/**
 * W2 — fill-mask latency (docs/benchmarks.md): the W1 model, one sequence of 32 tokens with one
 * [MASK], top-5 softmax at that position; p50/p95 over 200 calls after warm-up. Ours is the product's
 * fillMask (server/ml/infer/fillMask.ts, tokenisation included); PyTorch gets the same ids and the same
 * weights (copied from our model), so the top-5 of both must agree: a check that both run one model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillMask } from '../../server/ml/infer/fillMask';
import { createModel } from '../../server/ml/model';
import type { MlmModel } from '../../server/ml/types';
import * as tf from '@tensorflow/tfjs-core';
import { benchText, benchTokenizer } from './syntheticVocab';
import { fmt, type Reporter } from './report';
import { quantile } from './stats';
import type { TorchReference } from './torchRef';
import { w1Config } from './trainingThroughput';

export interface W2Options {
  seed: number;
  calls: number;
  warmup: number;
  /** Calls are split into this many alternating rounds of ours and PyTorch. */
  rounds: number;
}

export const W2_DEFAULTS: W2Options = { seed: 1234, calls: 200, warmup: 30, rounds: 4 };

/** Writes toHfState() as raw float32 + a JSON index (name → offset, size, shape) for torch_ref.py. */
function writeWeights(model: MlmModel): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-bench-'));
  const file = path.join(dir, 'weights.f32');
  const index: Record<string, { offset: number; size: number; shape: number[] }> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of model.toHfState()) {
    index[name] = { offset, size: t.data.length, shape: t.shape };
    parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += t.data.byteLength;
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  fs.writeFileSync(`${file}.json`, JSON.stringify(index));
  return file;
}

export async function runW2(
  opts: W2Options,
  torch: TorchReference | undefined,
  out: Reporter,
): Promise<void> {
  const config = w1Config(0);
  const tokenizer = benchTokenizer(config.vocabSize);
  const text = benchText(30, 7, opts.seed);
  const ids = tokenizer.encode(text).ids;
  if (ids.length !== 32)
    throw new Error(`the W2 text encodes to ${ids.length} tokens, not 32: fix benchText`);
  const maskIndex = ids.indexOf(tokenizer.special.mask);
  const model = createModel(config, { seed: opts.seed });
  if (torch) {
    const r = await torch.call('w2_init', { config, seed: opts.seed, weightsFile: writeWeights(model) });
    if ((r.missing as string[]).length) {
      throw new Error(`the PyTorch reference got no weights for ${(r.missing as string[]).join(', ')}`);
    }
  }

  const ours: number[] = [];
  const theirs: number[] = [];
  // CPU time per call (ours: the process, one wasm thread; PyTorch: all its threads): near the wall time
  // when the machine is quiet; a wall time far above it means the call waited for a CPU.
  const oursCpu: number[] = [];
  const theirsCpu: number[] = [];
  let oursTop: Array<[number, number]> = [];
  let torchTop: Array<[number, number]> = [];
  const oursCalls = async (n: number, keep: boolean) => {
    for (let k = 0; k < n; k++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await fillMask(model, tokenizer, text, { topK: 5 });
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (keep) {
        ours.push(ms);
        oursCpu.push((c.user + c.system) / 1000);
      }
      oursTop = r[0].map((c) => [c.id, c.score]);
    }
  };
  const torchCalls = async (n: number, keep: boolean) => {
    if (!torch) return;
    const r = await torch.call('w2_calls', { inputIds: ids, maskIndex, n, topK: 5 });
    if (keep) {
      theirs.push(...(r.latenciesMs as number[]));
      theirsCpu.push(...(r.cpuMs as number[]));
    }
    torchTop = r.top as Array<[number, number]>;
  };

  // The model keeps its fused Q|K|V projections from the first call until its weights change: count
  // tensors from after that call.
  await oursCalls(1, false);
  const tensorsBefore = tf.memory().numTensors;
  await oursCalls(opts.warmup, false);
  await torchCalls(opts.warmup, false);
  const perRound = Math.ceil(opts.calls / opts.rounds);
  for (let r = 0; r < opts.rounds; r++) {
    await torchCalls(perRound, true);
    await oursCalls(perRound, true);
  }
  const leaked = (tf.memory().numTensors - tensorsBefore) / (opts.warmup + perRound * opts.rounds);
  model.dispose();

  const p50 = quantile(ours, 0.5);
  const p95 = quantile(ours, 0.95);
  out.record({
    workload: 'w2',
    system: 'ours',
    metric: 'latency_p50',
    value: p50,
    unit: 'ms',
    p95,
    samples: ours,
    cpuMsP50: quantile(oursCpu, 0.5),
    tensorsLeakedPerCall: leaked,
    top5: oursTop,
  });
  if (torch) {
    const t50 = quantile(theirs, 0.5);
    const t95 = quantile(theirs, 0.95);
    const sameIds = oursTop.every(([id], i) => torchTop[i]?.[0] === id);
    const maxProbDiff = Math.max(...oursTop.map(([, p], i) => Math.abs(p - (torchTop[i]?.[1] ?? NaN))));
    out.record({
      workload: 'w2',
      system: 'pytorch',
      metric: 'latency_p50',
      value: t50,
      unit: 'ms',
      p95: t95,
      samples: theirs,
      cpuMsP50: quantile(theirsCpu, 0.5),
      top5: torchTop,
    });
    out.record({
      workload: 'w2',
      system: 'ours/pytorch',
      metric: 'p50_ratio',
      value: p50 / t50,
      unit: '×',
      top5SameIds: sameIds,
      top5MaxProbDiff: maxProbDiff,
    });
    out.row(['W2', 'fill-mask p50 ms', fmt(p50), fmt(t50), `${fmt(p50 / t50)}× (goal ≤ 2×)`]);
    out.row(['W2', 'fill-mask p95 ms', fmt(p95), fmt(t95), `${fmt(p95 / t95)}×`]);
    out.row([
      'W2',
      'CPU ms per call, p50 (PyTorch: all threads)',
      fmt(quantile(oursCpu, 0.5)),
      fmt(quantile(theirsCpu, 0.5)),
      'wall ≫ CPU = the call waited for a core',
    ]);
    out.row([
      'W2',
      'top-5 agrees with PyTorch (same weights)',
      sameIds ? 'yes' : 'NO',
      '',
      `max |Δp| ${maxProbDiff.toExponential(1)}`,
    ]);
  } else {
    out.row(['W2', 'fill-mask p50 ms', fmt(p50), '—', 'no reference']);
    out.row(['W2', 'fill-mask p95 ms', fmt(p95), '—', '']);
    out.row(['W2', 'CPU ms per call, p50', fmt(quantile(oursCpu, 0.5)), '—', '']);
  }
  out.row(['W2', 'tensors leaked per call', fmt(leaked), '—', '']);
}
