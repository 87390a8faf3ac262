/**
 * W1 — training throughput (docs/benchmarks.md): the W1 BERT (vocab 8192, hidden 256, 4 layers,
 * 4 heads, FFN 1024, seq 128, batch 32, 15 % targets, AdamW lr 1e-3, clipping 1.0) trained by the
 * product's own training step (server/ml/train/step.ts trainStep + AdamW + createModel; or, as the product
 * does by default on wasm with ≥ 2 cores, its data-parallel step over replica threads, server/ml/train/parallel)
 * and by the PyTorch reference, in timed windows interleaved in this one invocation; medians of the windows.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import type { BackendInfo } from '../../server/ml/backend';
import { bertPreset, createModel } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { trainFlopsPerToken } from '../../server/ml/train/flops';
import { startDataParallel, type ReplicaPool } from '../../server/ml/train/parallel';
import { trainStep, type StepResult } from '../../server/ml/train/step';
import { spawnReplica } from '../../server/worker/replicas';
import type { BertConfig, MlmBatch } from '../../server/ml/types';
import { fmt, type Reporter } from './report';
import { median } from './stats';
import type { TorchReference } from './torchRef';
import { w1Batches, writeBatchesFile } from './trainingBatches';

/** FLOPs of one training step per input token (forward 7.46 MFLOP × 3), from benchmarks.md. */
export const W1_FLOP_PER_TOKEN = 22.4e6;
/** XNNPACK on 128-bit wasm SIMD peaks near this per thread (benchmarks.md). */
export const WASM_GFLOPS_PER_THREAD = 42;

export interface W1Options {
  seed: number;
  /** Timed windows per system (medians over them). */
  windows: number;
  /** Target length of one timed window: steps per window are chosen from the warm-up step time. */
  windowSeconds: number;
  warmupSteps: number;
  /** W1 does not list dropout; 0 unless asked (the product's presets default to 0.1). */
  dropout: number;
  batchSize: number;
  seqLen: number;
  /** training.dataParallel as the product resolves it ("auto" by default). */
  dataParallel: number | 'auto';
}

export const W1_DEFAULTS: W1Options = {
  seed: 1234,
  windows: 7,
  windowSeconds: 4,
  warmupSteps: 2,
  dropout: 0,
  batchSize: 32,
  seqLen: 128,
  dataParallel: 'auto',
};

export function w1Config(dropout: number): BertConfig {
  return {
    ...bertPreset('mini', 8192, 128),
    hiddenDropoutProb: dropout,
    attentionProbsDropoutProb: dropout,
  };
}

/** The product's training step: createModel + AdamW + trainStep (or the replica pool's step), one batch per step. */
class OursW1 {
  private readonly model;
  private readonly optimizer: AdamW;
  private i = 0;
  lastLoss = NaN;
  lastAccuracy = NaN;
  private pool: ReplicaPool | undefined;

  constructor(
    config: BertConfig,
    seed: number,
    private readonly batches: readonly MlmBatch[],
  ) {
    this.model = createModel(config, { seed });
    this.optimizer = new AdamW(this.model.variables, {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
    });
  }

  /** Starts the replica threads the product would use for this backend and batch; returns their count. */
  async startReplicas(setting: number | 'auto', seqLen: number): Promise<number> {
    const batchSize = this.batches[0].batchSize;
    const stepFlops =
      trainFlopsPerToken(this.model.config, { seqLen, targetFraction: 0.15 }) * batchSize * seqLen;
    this.pool =
      (await startDataParallel(
        this.model,
        { dataParallel: setting, seed: 1, batchSize },
        { spawn: spawnReplica, stepFlops },
      )) ?? undefined;
    return this.pool?.replicas ?? 1;
  }

  /** CPU time of this process during the last steps() call (all threads), in ms. */
  lastCpuMs = 0;

  /** Runs n steps; returns their wall time in ms. The step reads the loss back, so the work is done. */
  async steps(n: number): Promise<number> {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < n; k++) {
      const batch = [this.batches[this.i++ % this.batches.length]];
      const opts = { lr: 1e-3, clipNorm: 1 };
      const r: StepResult = this.pool
        ? await this.pool.step(this.model, this.optimizer, batch, opts)
        : await trainStep(this.model, this.optimizer, batch, opts);
      this.lastLoss = r.loss;
      this.lastAccuracy = r.accuracy;
    }
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    this.lastCpuMs = (c.user + c.system) / 1000;
    return ms;
  }

  get parameters(): number {
    let n = 0;
    for (const v of this.model.variables.values()) n += v.size;
    return n;
  }

  async dispose(): Promise<void> {
    await this.pool?.close();
    this.model.dispose();
    this.optimizer.dispose();
  }
}

export async function runW1(
  opts: W1Options,
  backend: BackendInfo,
  torch: TorchReference | undefined,
  out: Reporter,
): Promise<void> {
  const config = w1Config(opts.dropout);
  const batches = w1Batches({
    count: 8,
    batchSize: opts.batchSize,
    seqLen: opts.seqLen,
    vocabSize: config.vocabSize,
    seed: opts.seed,
  });
  const tokensPerStep = opts.batchSize * opts.seqLen;
  const targets = batches.reduce((s, b) => s + b.labels.length, 0) / batches.length;

  const ours = new OursW1(config, opts.seed, batches);
  const replicas = await ours.startReplicas(opts.dataParallel, opts.seqLen);
  if (torch) {
    const r = await torch.call('w1_init', {
      config,
      batchesFile: writeBatchesFile(batches),
      seed: opts.seed,
      lr: 1e-3,
      clipNorm: 1,
    });
    if (r.parameters !== ours.parameters) {
      throw new Error(
        `the PyTorch reference has ${String(r.parameters)} parameters, ours ${ours.parameters}: the models differ`,
      );
    }
  }
  // Warm-up: first steps allocate, compile and fill caches; the last one sizes the windows.
  await ours.steps(opts.warmupSteps - 1);
  const oursSteps = Math.max(1, Math.round((opts.windowSeconds * 1000) / (await ours.steps(1))));
  let torchSteps = 1;
  if (torch) {
    await torch.call('w1_steps', { n: opts.warmupSteps });
    const r = await torch.call('w1_steps', { n: 1 });
    torchSteps = Math.max(1, Math.round((opts.windowSeconds * 1000) / (r.ms as number)));
  }
  const tensorsBefore = tf.memory().numTensors;

  const oursTps: number[] = [];
  const torchTps: number[] = [];
  const torchLoss: number[] = [];
  // CPU time / wall time per window: ~threads used when the machine is quiet, far less when it is contended.
  const oursCpu: number[] = [];
  const torchCpu: number[] = [];
  // Tokens per CPU-second (all threads of the process): what the code costs, robust to a busy machine.
  const oursPerCpu: number[] = [];
  const torchPerCpu: number[] = [];
  for (let w = 0; w < opts.windows; w++) {
    if (torch) {
      const r = await torch.call('w1_steps', { n: torchSteps });
      torchTps.push((tokensPerStep * torchSteps) / ((r.ms as number) / 1000));
      torchLoss.push(r.loss as number);
      torchCpu.push((r.cpuMs as number) / (r.ms as number));
      torchPerCpu.push((tokensPerStep * torchSteps) / ((r.cpuMs as number) / 1000));
    }
    const ms = await ours.steps(oursSteps);
    oursTps.push((tokensPerStep * oursSteps) / (ms / 1000));
    oursCpu.push(ours.lastCpuMs / ms);
    oursPerCpu.push((tokensPerStep * oursSteps) / (ours.lastCpuMs / 1000));
  }
  const leaked = (tf.memory().numTensors - tensorsBefore) / (opts.windows * oursSteps);
  const oursLoss = ours.lastLoss;
  const parameters = ours.parameters;
  await ours.dispose();

  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const roofline = (WASM_GFLOPS_PER_THREAD * 1e9 * cores) / W1_FLOP_PER_TOKEN; // tokens/s
  const o = median(oursTps);
  const common = {
    oursStepsPerWindow: oursSteps,
    torchStepsPerWindow: torchSteps,
    batchSize: opts.batchSize,
    seqLen: opts.seqLen,
    targetsPerBatch: targets,
    dropout: opts.dropout,
    parameters,
  };
  out.record({
    workload: 'w1',
    system: 'ours',
    metric: 'tokens_per_s',
    value: o,
    unit: 'tokens/s',
    samples: oursTps,
    gflops: (o * W1_FLOP_PER_TOKEN) / 1e9,
    backend: backend.name,
    device: backend.device,
    threads: backend.threads ?? null,
    replicas,
    rooflineTokensPerS: roofline,
    rooflineCores: cores,
    rooflinePercent: (100 * o) / roofline,
    tensorsLeakedPerStep: leaked,
    cpuPerWall: oursCpu,
    tokensPerCpuSecond: median(oursPerCpu),
    loss: oursLoss,
    ...common,
  });
  out.row([
    'W1',
    'training tokens/s',
    fmt(o),
    torch ? fmt(median(torchTps)) : '—',
    torch ? `${fmt(o / median(torchTps))}×` : 'no reference',
  ]);
  out.row([
    'W1',
    `% of wasm roofline (${WASM_GFLOPS_PER_THREAD} GFLOP/s × ${cores})`,
    `${fmt((100 * o) / roofline)} %`,
    '—',
    `roofline ${fmt(roofline)} tokens/s`,
  ]);
  out.row([
    'W1',
    'GFLOP/s (22.4 MFLOP/token)',
    fmt((o * W1_FLOP_PER_TOKEN) / 1e9),
    torch ? fmt((median(torchTps) * W1_FLOP_PER_TOKEN) / 1e9) : '—',
    replicas > 1 ? `${backend.device} × ${replicas} data-parallel replicas` : backend.device,
  ]);
  out.row(['W1', 'tensors leaked per step', fmt(leaked), '—', '']);
  out.row([
    'W1',
    'CPU time / wall time (median; ≈ threads if quiet)',
    fmt(median(oursCpu)),
    torch ? fmt(median(torchCpu)) : '—',
    'low = the shared machine was busy',
  ]);
  out.row([
    'W1',
    'tokens per CPU-second (all threads)',
    fmt(median(oursPerCpu)),
    torch ? fmt(median(torchPerCpu)) : '—',
    torch ? `${fmt(median(oursPerCpu) / median(torchPerCpu))}× (cost per token, load-robust)` : '',
  ]);
  if (torch) {
    const t = median(torchTps);
    out.record({
      workload: 'w1',
      system: 'pytorch',
      metric: 'tokens_per_s',
      value: t,
      unit: 'tokens/s',
      samples: torchTps,
      gflops: (t * W1_FLOP_PER_TOKEN) / 1e9,
      loss: torchLoss[torchLoss.length - 1],
      cpuPerWall: torchCpu,
      tokensPerCpuSecond: median(torchPerCpu),
      torch: torch.info.torch,
      openblas: torch.info.openblas,
      ...common,
    });
    out.record({ workload: 'w1', system: 'ours/pytorch', metric: 'ratio', value: o / t, unit: '×' });
  }
}
