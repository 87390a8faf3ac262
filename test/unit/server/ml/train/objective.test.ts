/**
 * The loop's objective seam with a second objective beside MLM: least-squares regression on a seeded synthetic
 * stream (a real Objective with its own batch type, the shape a fine-tuning task takes). It trains through the same
 * trainLoop, checkpoints, and resumes exactly through restoreCheckpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { emptyCheckpointState, newRunFolder, readMetrics } from '../../../../../server/ml/checkpoint';
import type { DataPosition } from '../../../../../server/ml/data/stream';
import { mixSeed, SeededRng } from '../../../../../server/ml/data/rng';
import type { NamedTensor } from '../../../../../server/ml/types';
import { AdamW } from '../../../../../server/ml/train/adamw';
import { trainLoop, type LoopRun } from '../../../../../server/ml/train/loop';
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
class Linear implements TrainableModel {
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
class RegressionObjective implements Objective<RegressionBatch> {
  readonly variables: Linear['variables'];
  readonly hasHeldOut = true;
  readonly batchesPerEpoch = ROWS / 4;
  private readonly data: RegressionBatch;
  private pos: DataPosition;

  constructor(
    readonly model: Linear,
    start: DataPosition,
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
  evaluate() {
    const loss = tf.tidy(() => this.batchLoss(this.data).loss.dataSync()[0]);
    return { loss };
  }
  checkpointFiles() {
    return new Map([['config.json', '{"problem_type":"regression"}\n']]);
  }
}

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-objective-'));

/** Trains to maxSteps from a new run (runDir undefined) or resumes the run in runDir. */
async function train(
  maxSteps: number,
  runDir?: string,
): Promise<{ runDir: string; losses: number[]; weights: Float32Array }> {
  const config = tinyConfig({
    training: { maxSteps, lr: 0.05, warmupSteps: 0, evalEvery: 5, logEvery: 1, schedule: 'constant' },
    checkpoint: { every: 5 },
  });
  const folder = runDir ? { runId: path.basename(runDir), runDir } : newRunFolder(config, ws);
  const model = new Linear();
  const optimizer = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  // As prepareRun: the state (and weights, moments) from the checkpoint on resume, else the empty state.
  const restored = runDir
    ? restoreCheckpoint(runDir, model, optimizer, {})
    : { state: emptyCheckpointState() };
  const objective = new RegressionObjective(model, restored.state.position);
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
  const losses: number[] = [];
  const out = await trainLoop(run, {
    callbacks: { onMetrics: (m) => m.split === 'train' && losses.push(m.loss) },
    t0: Date.now(),
  });
  assert.equal(out.stoppedBy, 'max-steps', out.error);
  const weights = objective.variables.get('regressor.weight')!.dataSync() as Float32Array;
  optimizer.dispose();
  model.dispose();
  return { runDir: folder.runDir, losses, weights };
}

void describe('the objective seam: a regression objective in the same loop', () => {
  before(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  void test('learns, checkpoints its own files, resumes exactly (20 straight = 10 + resume + 10), tensors flat', async () => {
    const tensors = tf.memory().numTensors;
    const straight = await train(20);
    assert.ok(
      straight.losses[19] < straight.losses[0] / 4,
      `loss ${straight.losses[0]} → ${straight.losses[19]}`,
    );
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    const first = await train(10);
    assert.ok(fs.existsSync(path.join(first.runDir, 'checkpoints', 'step-10', 'config.json')));
    const resumed = await train(20, first.runDir);
    assert.deepEqual([...first.losses, ...resumed.losses], straight.losses);
    assert.deepEqual([...resumed.weights], [...straight.weights]);
    assert.equal(readMetrics(first.runDir).filter((m) => m.split === 'eval').length, 4);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
  });
});
