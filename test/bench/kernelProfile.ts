/**
 * Where ours spends its time, per kernel (tf.profile): one W1 training step (trainStep, after warm-up) and one
 * W2 fill-mask call. Kernel times are summed by kernel and by kernel + shapes; "outside kernels" = a profiled
 * call's wall time minus its kernel sum (JS dispatch, autodiff tape, readback, tokenisation), median over calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fillMask } from '../../server/ml/infer/fillMask';
import { createModel } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { trainStep } from '../../server/ml/train/step';
import { benchText, benchTokenizer } from './syntheticVocab';
import { fmt, type Reporter } from './report';
import { median } from './stats';
import { w1Config } from './trainingThroughput';
import { w1Batches } from './trainingBatches';

export interface KernelTotal {
  kernel: string;
  ms: number;
  calls: number;
}

interface ProfiledKernel {
  name: string;
  kernelTimeMs: number | { error: string } | Promise<unknown>;
  inputShapes: Array<number[] | null>;
  outputShapes: number[][];
}

/** Sums kernel times by a key; highest first. */
export function totals(
  kernels: readonly ProfiledKernel[],
  key: (k: ProfiledKernel) => string,
): KernelTotal[] {
  const m = new Map<string, KernelTotal>();
  for (const k of kernels) {
    const name = key(k);
    const t = m.get(name) ?? { kernel: name, ms: 0, calls: 0 };
    t.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    t.calls++;
    m.set(name, t);
  }
  return [...m.values()].sort((a, b) => b.ms - a.ms);
}

/** Per key, the median over several profiled calls of that key's total; highest first. */
function medianTotals(runs: KernelTotal[][]): KernelTotal[] {
  const keys = new Set(runs.flatMap((r) => r.map((t) => t.kernel)));
  return [...keys]
    .map((kernel) => {
      const hits = runs.map((r) => r.find((t) => t.kernel === kernel));
      return {
        kernel,
        ms: median(hits.map((t) => t?.ms ?? 0)),
        calls: Math.max(...hits.map((t) => t?.calls ?? 0)),
      };
    })
    .sort((a, b) => b.ms - a.ms);
}

const shapes = (k: ProfiledKernel) =>
  `${k.name} ${k.inputShapes.map((s) => (s ? `[${s.join(',')}]` : '-')).join(' ')} → ${k.outputShapes.map((s) => `[${s.join(',')}]`).join(' ')}`;

/** Times `fn` unprofiled (median of `repeats`, after `warmup` calls), then profiles one call. */
async function profileOne(
  label: string,
  fn: () => Promise<unknown>,
  opts: { warmup: number; repeats: number; profiled: number; topKernels: number; topShapes: number },
  out: Reporter,
): Promise<void> {
  for (let k = 0; k < opts.warmup; k++) await fn();
  const wall: number[] = [];
  const cpuPerWall: number[] = [];
  for (let k = 0; k < opts.repeats; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuPerWall.push((c.user + c.system) / 1000 / wall[wall.length - 1]);
  }
  const ms = median(wall);
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false); // profiling would otherwise read back every output
  // Several profiled calls, and per kernel the median over them: one call alone blames whichever kernel the
  // OS happened to preempt on a busy machine.
  const runs: ProfiledKernel[][] = [];
  // Per profiled call: its wall time minus its kernel time (the load can change between calls, so the
  // unprofiled median is not subtracted from the profiled kernel sum).
  const outsides: number[] = [];
  for (let r = 0; r < opts.profiled; r++) {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await fn();
    });
    const wall = performance.now() - t0;
    // Only registered kernels: tf.profile also lists op wrappers (tf.fused.matMul's "fusedMatMul__op",
    // customGrad's "unnamed scope", …) whose time contains their inner kernels' and would count it twice.
    const ks = (info.kernels as unknown as ProfiledKernel[]).filter(
      (k) => tf.getKernel(k.name, tf.getBackend()) !== undefined,
    );
    runs.push(ks);
    outsides.push(Math.max(0, wall - totals(ks, () => 'all')[0].ms));
  }
  const kernels = runs[0];
  const byKernel = medianTotals(runs.map((ks) => totals(ks, (k) => k.name)));
  const kernelMs = byKernel.reduce((s, t) => s + t.ms, 0);
  const outside = median(outsides);
  const byShape = medianTotals(runs.map((ks) => totals(ks, shapes))).slice(0, 25);
  out.record({
    workload: 'profile',
    system: 'ours',
    metric: label,
    value: ms,
    unit: 'ms',
    samples: wall,
    kernelMs,
    outsideKernelsMs: outside,
    kernelLaunches: kernels.length,
    profiledCalls: opts.profiled,
    cpuPerWall,
    byKernel,
    byKernelAndShape: byShape,
  });
  out.row([
    'profile',
    `${label}, median ms`,
    fmt(ms),
    '—',
    `${kernels.length} kernel launches; CPU/wall ${fmt(median(cpuPerWall))}`,
  ]);
  for (const t of byKernel.slice(0, opts.topKernels)) {
    out.row(['profile', t.kernel, `${fmt(t.ms)} ms`, `${t.calls} calls`, `${fmt((100 * t.ms) / ms)} %`]);
  }
  out.row([
    'profile',
    'outside kernels (JS, tape, readback)',
    `${fmt(outside)} ms`,
    '',
    `${fmt((100 * outside) / ms)} %`,
  ]);
  for (const t of byShape.slice(0, opts.topShapes)) {
    out.row(['profile', t.kernel, `${fmt(t.ms)} ms`, `${t.calls} calls`, `${fmt((100 * t.ms) / ms)} %`]);
  }
}

export async function runProfile(opts: { dropout: number; seed: number }, out: Reporter): Promise<void> {
  const config = w1Config(opts.dropout);
  const batches = w1Batches({
    count: 4,
    batchSize: 32,
    seqLen: 128,
    vocabSize: config.vocabSize,
    seed: opts.seed,
  });
  const model = createModel(config, { seed: opts.seed });
  const optimizer = new AdamW(model.variables, {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0.01,
  });
  let i = 0;
  try {
    await profileOne(
      'W1 training step (32 × 128)',
      () => trainStep(model, optimizer, [batches[i++ % batches.length]], { lr: 1e-3, clipNorm: 1 }),
      { warmup: 2, repeats: 3, profiled: 3, topKernels: 12, topShapes: 12 },
      out,
    );
    const tokenizer = benchTokenizer(config.vocabSize);
    const text = benchText(30, 7, opts.seed);
    await profileOne(
      'W2 fill-mask call (32 tokens)',
      () => fillMask(model, tokenizer, text, { topK: 5 }),
      { warmup: 20, repeats: 50, profiled: 15, topKernels: 8, topShapes: 8 },
      out,
    );
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
