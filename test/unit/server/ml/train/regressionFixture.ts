/**
 * A second objective beside MLM for loop tests: least-squares regression y = x·w + b on a seeded synthetic stream (a
 * real Objective with its own batch type, the shape a fine-tuning task takes), and `train`, which runs it through the
 * product's trainLoop from a new run or a resumed one. `spikeAt` injects finite loss spikes: the batches at those
 * stream positions (0-based batch numbers) get targets 1000 too large.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyCheckpointState, newRunFolder } from '../../../../../server/ml/checkpoint';
import type { DataPosition } from '../../../../../server/ml/data/stream';
import { mixSeed, SeededRng } from '../../../../../server/ml/data/rng';
import type { MetricRecord, NamedTensor } from '../../../../../server/ml/types';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { trainLoop } from '../../../../../server/ml/train/loop';
import type { LoopOutcome, LoopRun } from '../../../../../server/ml/train/loopTypes';
import type { Objective, TrainableModel } from '../../../../../server/ml/train/objective';
import { makePlan } from '../../../../../server/ml/train/plan';
import { restoreCheckpoint } from '../../../../../server/ml/train/prepareRun';
import { tinyConfig } from './trainFixtures';

const DIM = 4;
const ROWS = 40;
const TRUE_W = [0.5, -1, 2, 0.25];

interface RegressionBatch {
  x: Float32Array; // [n, DIM]
  y: Float32Array; // [n]
}

/** A linear model y = x·w + b with Hugging Face-style names. */
export class Linear implements TrainableModel {
  readonly variables = new Map<string, tf.Variable>([
    ['regressor.weight', tf.tidy(() => tf.variable(tf.zeros([DIM, 1])))],
    ['regressor.bias', tf.tidy(() => tf.variable(tf.zeros([1])))],
  ]);
  toHfState(): Map<string, NamedTensor> {
    return new Map(
      [...this.variables].map(([n, v]) => [
        n,
        { shape: v.shape.slice(), data: v.dataSync() as Float32Array },
      ]),
    );
  }
  loadHfState(state: ReadonlyMap<string, NamedTensor>): void {
    for (const [n, v] of this.variables) {
      const t = state.get(n);
      if (!t) throw new Error(`missing ${n}`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
  }
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

/** x ~ U(-1, 1), y = x·TRUE_W + 1 + noise; batches of 4 rows in a seeded order per epoch. */
export class RegressionObjective implements Objective<RegressionBatch> {
  readonly variables: Linear['variables'];
  readonly hasHeldOut = true;
  readonly batchesPerEpoch = ROWS / 4;
  private readonly data: RegressionBatch;
  private pos: DataPosition;

  constructor(
    readonly model: Linear,
    start: DataPosition,
    private readonly spikeAt: ReadonlySet<number> = new Set(),
  ) {
    this.variables = model.variables;
    const rng = new SeededRng(11);
    const x = Float32Array.from({ length: ROWS * DIM }, () => rng.next() * 2 - 1);
    const y = Float32Array.from({ length: ROWS }, (_, i) => {
      let s = 1 + (rng.next() - 0.5) * 0.01;
      for (let d = 0; d < DIM; d++) s += x[i * DIM + d] * TRUE_W[d];
      return s;
    });
    this.data = { x, y };
    this.pos = { ...start };
  }
  get position() {
    return { ...this.pos };
  }
  get epochs() {
    return this.pos.epoch + this.pos.index / ROWS;
  }
  next() {
    if (this.pos.index >= ROWS) this.pos = { epoch: this.pos.epoch + 1, index: 0 };
    const rng = new SeededRng(mixSeed(3, this.pos.epoch, this.pos.index));
    const rows = Array.from({ length: 4 }, () => Math.floor(rng.next() * ROWS));
    const x = new Float32Array(4 * DIM);
    const y = new Float32Array(4);
    rows.forEach((r, i) => {
      x.set(this.data.x.subarray(r * DIM, (r + 1) * DIM), i * DIM);
      y[i] = this.data.y[r];
    });
    if (this.spikeAt.has(this.pos.epoch * this.batchesPerEpoch + this.pos.index / 4)) {
      for (let i = 0; i < y.length; i++) y[i] += 1000;
    }
    this.pos = { epoch: this.pos.epoch, index: this.pos.index + 4 };
    return { batch: { x, y }, tokens: 4 };
  }
  batchLoss(b: RegressionBatch) {
    const pred = tf.add(
      tf.matMul(tf.tensor2d(b.x, [b.y.length, DIM]), this.variables.get('regressor.weight')!),
      this.variables.get('regressor.bias')!,
    );
    const loss = tf.mean(tf.square(tf.sub(tf.reshape(pred, [-1]), tf.tensor1d(b.y)))) as tf.Scalar;
    return { loss, correct: tf.scalar(0, 'int32') };
  }
  batchTargets(b: RegressionBatch) {
    return b.y.length;
  }
  async evaluate() {
    const t = tf.tidy(() => this.batchLoss(this.data).loss);
    try {
      return { loss: (await t.data())[0] };
    } finally {
      t.dispose();
    }
  }
  checkpointFiles() {
    return new Map([['config.json', '{"problem_type":"regression"}\n']]);
  }
}

export const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-objective-'));

export interface TrainOptions {
  /** Resume this run instead of starting a new one. */
  runDir?: string;
  /** Batch numbers whose targets are made 1000 too large (finite loss spikes). */
  spikeAt?: number[];
  /** Training settings over the defaults below (lr 0.05, constant, eval every 5, log every step). */
  training?: Record<string, unknown>;
  /** Called with each log line, and the model (to read its weights at that moment). */
  onLog?: (message: string, model: Linear) => void;
  /** Outcomes other than max-steps are returned, not asserted. */
  expectMaxSteps?: boolean;
}

/** Trains to maxSteps from a new run, or resumes opts.runDir. */
export async function train(
  maxSteps: number,
  opts: TrainOptions = {},
): Promise<{
  runDir: string;
  losses: number[];
  rows: MetricRecord[];
  weights: Float32Array;
  out: LoopOutcome;
}> {
  const { runDir } = opts;
  const config = tinyConfig({
    training: {
      maxSteps,
      lr: 0.05,
      warmupSteps: 0,
      evalEvery: 5,
      logEvery: 1,
      schedule: 'constant',
      ...opts.training,
    },
    checkpoint: { every: 5 },
  });
  const folder = runDir ? { runId: path.basename(runDir), runDir } : newRunFolder(config, ws);
  const model = new Linear();
  const optimizer = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  // As prepareRun: the state (and weights, moments) from the checkpoint on resume, else the empty state.
  const restored = runDir
    ? restoreCheckpoint(runDir, model, optimizer, {})
    : { state: emptyCheckpointState() };
  const objective = new RegressionObjective(model, restored.state.position, new Set(opts.spikeAt));
  const run: LoopRun<RegressionBatch> = {
    runDir: folder.runDir,
    config,
    status: {
      id: folder.runId,
      createdAt: '',
      updatedAt: '',
      status: 'running',
      pid: process.pid,
      steps: 0,
      epochs: 0,
    },
    optimizer,
    objective,
    plan: makePlan(config.training, objective.batchesPerEpoch),
    compute: { flopsPerToken: 0, peakGflops: undefined },
    state: restored.state,
    resumed: 'resumed' in restored ? restored.resumed : undefined,
  };
  const rows: MetricRecord[] = [];
  const out = await trainLoop(run, {
    callbacks: {
      onMetrics: (m) => m.split === 'train' && rows.push(m),
      onLog: (_level, m) => opts.onLog?.(m, model),
    },
    t0: Date.now(),
  });
  if (opts.expectMaxSteps !== false) assert.equal(out.stoppedBy, 'max-steps', out.error);
  const weights = objective.variables.get('regressor.weight')!.dataSync() as Float32Array;
  optimizer.dispose();
  model.dispose();
  return { runDir: folder.runDir, losses: rows.map((r) => r.loss), rows, weights, out };
}
