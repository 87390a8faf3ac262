/**
 * Where a W1 training step of ours spends its time: tf.profile over one trainStep (after warm-up), kernel
 * times summed by kernel and by kernel + shapes; "outside kernels" = the unprofiled step's median wall
 * time minus the kernel sum (JS dispatch, tape, gradient bookkeeping, reading the loss back).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { trainStep } from '../../server/ml/train/step';
import { fmt, type Reporter } from './report';
import { median } from './stats';
import { w1Config } from './w1';
import { w1Batches } from './w1Batches';

export interface KernelTotal {
  kernel: string;
  ms: number;
  calls: number;
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

interface ProfiledKernel {
  name: string;
  kernelTimeMs: number | { error: string } | Promise<unknown>;
  inputShapes: Array<number[] | null>;
  outputShapes: number[][];
}

const shapes = (k: ProfiledKernel) =>
  `${k.name} ${k.inputShapes.map((s) => (s ? `[${s.join(',')}]` : '-')).join(' ')} → ${k.outputShapes.map((s) => `[${s.join(',')}]`).join(' ')}`;

export async function runProfile(
  opts: { dropout: number; seed: number; steps?: number },
  out: Reporter,
): Promise<void> {
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
  const step = () => trainStep(model, optimizer, [batches[i++ % batches.length]], { lr: 1e-3, clipNorm: 1 });
  step();
  step();
  const wall: number[] = [];
  const cpuPerWall: number[] = [];
  for (let k = 0; k < (opts.steps ?? 3); k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuPerWall.push((c.user + c.system) / 1000 / wall[wall.length - 1]);
  }
  const stepMs = median(wall);
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false); // profiling would otherwise read back every output
  const info = await tf.profile(() => {
    step();
  });
  model.dispose();
  optimizer.dispose();

  const kernels = info.kernels as unknown as ProfiledKernel[];
  const byKernel = totals(kernels, (k) => k.name);
  const kernelMs = byKernel.reduce((s, t) => s + t.ms, 0);
  const outside = Math.max(0, stepMs - kernelMs);
  const byShape = totals(kernels, shapes).slice(0, 25);
  out.record({
    workload: 'profile',
    system: 'ours',
    metric: 'step_ms',
    value: stepMs,
    unit: 'ms',
    samples: wall,
    kernelMs,
    outsideKernelsMs: outside,
    kernelLaunches: kernels.length,
    cpuPerWall,
    byKernel,
    byKernelAndShape: byShape,
  });
  out.row([
    'profile',
    'W1 step (batch 32 × 128), median ms',
    fmt(stepMs),
    '—',
    `${kernels.length} kernel launches; CPU/wall ${fmt(median(cpuPerWall))}`,
  ]);
  for (const t of byKernel.slice(0, 12)) {
    out.row([
      'profile',
      t.kernel,
      `${fmt(t.ms)} ms`,
      `${t.calls} calls`,
      `${fmt((100 * t.ms) / stepMs)} % of step`,
    ]);
  }
  out.row([
    'profile',
    'outside kernels (JS, tape, readback)',
    `${fmt(outside)} ms`,
    '',
    `${fmt((100 * outside) / stepMs)} % of step`,
  ]);
  for (const t of byShape.slice(0, 10)) {
    out.row(['profile', t.kernel, `${fmt(t.ms)} ms`, `${t.calls} calls`, `${fmt((100 * t.ms) / stepMs)} %`]);
  }
}
