/**
 * Fine-tuning as an Objective of the training loop (server/ml/train/objective.ts): batches of encoded examples in a
 * seeded order per epoch (resumable from a DataPosition), the task model's loss (finetune/model.ts), held-out
 * evaluation with the task's metrics, the best checkpoint chosen by one of them, and the Hugging Face task config in
 * every checkpoint.
 */
import type { DataPosition } from '../data/stream';
import { mixSeed, permutation, SeededRng } from '../data/rng';
import type { EvalMetrics, Objective, ReplicaContext, ReplicaGroup, TrainBatch } from '../train/objective';
import { replicaGroup, startDataParallel } from '../train/parallel';
import type { MetricRecord } from '../types';
import { evaluateTask, lowerIsBetter, perClassOf } from './evaluate';
import { makeBatch, type Feature } from './features';
import { taskLossSource, type BertTaskModel, type TaskBatch } from './model';
import { taskReplicaSpec } from './replica';
import { taskHfConfig } from './taskFolder';

/** The order of the training examples in an epoch (seeded; a resume recomputes it). */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, new SeededRng(mixSeed(seed, epoch)));
}

export interface TaskObjectiveOptions {
  batchSize: number;
  seed: number;
  padId: number;
  /** Multilabel decision threshold. */
  threshold: number;
  /** The held-out metric that picks the best checkpoint (TASK_METRICS). */
  metric: string;
  /** Replicas splitting each batch (training.dataParallel: 1 = this thread only). */
  dataParallel: number | 'auto';
}

export class TaskObjective implements Objective<TaskBatch> {
  readonly variables: BertTaskModel['variables'];
  readonly batchLoss: Objective<TaskBatch>['batchLoss'];
  readonly batchTargets: Objective<TaskBatch>['batchTargets'];
  readonly lossMass: Objective<TaskBatch>['lossMass'];
  readonly splitPasses: Objective<TaskBatch>['splitPasses'];
  private epoch: number;
  private index: number;
  private order: Int32Array;

  constructor(
    readonly model: BertTaskModel,
    private readonly train: readonly Feature[],
    private readonly heldOut: readonly Feature[],
    private readonly opts: TaskObjectiveOptions,
    position: DataPosition = { epoch: 0, index: 0 },
  ) {
    if (!train.length) throw new Error('fine-tuning needs at least one training example');
    this.variables = model.variables;
    const loss = taskLossSource(model);
    this.batchLoss = loss.batchLoss;
    this.batchTargets = loss.batchTargets;
    this.lossMass = loss.lossMass;
    this.splitPasses = loss.splitPasses;
    this.epoch = position.epoch;
    this.index = position.index;
    this.order = epochOrder(train.length, opts.seed, this.epoch);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.train.length / this.opts.batchSize);
  }
  get position(): DataPosition {
    return { epoch: this.epoch, index: this.index };
  }
  get epochs(): number {
    return this.epoch + this.index / this.train.length;
  }

  next(): TrainBatch<TaskBatch> {
    const n = this.train.length;
    if (this.index >= n) {
      this.epoch++;
      this.index = 0;
      this.order = epochOrder(n, this.opts.seed, this.epoch);
    }
    const rows: Feature[] = [];
    for (let i = this.index; i < Math.min(n, this.index + this.opts.batchSize); i++)
      rows.push(this.train[this.order[i]]);
    this.index += rows.length;
    const { task, labels } = this.model.head;
    return {
      batch: makeBatch(rows, task, labels.length, this.opts.padId),
      tokens: rows.reduce((s, f) => s + f.ids.length, 0),
    };
  }

  get hasHeldOut(): boolean {
    return this.heldOut.length > 0;
  }

  /**
   * The eval row's columns: loss, the task's metrics, the label set with each one's F1, the confusion matrix.
   * Async as the Objective seam asks: evaluateTask reads asynchronously (webgpu has no synchronous read).
   */
  async evaluate(): Promise<EvalMetrics> {
    const e = await evaluateTask(this.model, this.heldOut, {
      batchSize: Math.max(8, this.opts.batchSize * 2),
      padId: this.opts.padId,
      threshold: this.opts.threshold,
    });
    const rec: EvalMetrics = { ...(e.metrics as Partial<MetricRecord>), loss: e.metrics.loss };
    const per = perClassOf(e.detail);
    rec.classes = per.length ? per.map((p) => p.label) : [...this.model.head.labels];
    if (per.length) rec.classF1 = per.map((p) => p.f1);
    if (e.detail.task === 'classification') rec.confusion = e.detail.metrics.confusion;
    return rec;
  }

  /** Lower is better: the chosen metric, negated when higher is better. */
  selectionScore(r: EvalMetrics): number {
    const v = (r as Record<string, unknown>)[this.opts.metric];
    if (typeof v !== 'number') return NaN;
    return lowerIsBetter(this.opts.metric) ? v : -v;
  }

  get selectionName(): string {
    return this.opts.metric;
  }

  /** Data-parallel replicas of the task model (training.dataParallel > 1 or "auto"), as pretraining's. */
  async startReplicas(ctx: ReplicaContext): Promise<ReplicaGroup<TaskBatch> | null> {
    const { model } = this;
    const pool = await startDataParallel(
      model,
      { dataParallel: this.opts.dataParallel, seed: this.opts.seed, batchSize: this.opts.batchSize },
      ctx,
      { spec: taskReplicaSpec(model), source: taskLossSource(model) },
    );
    return pool && replicaGroup(pool, model);
  }

  checkpointFiles(): Map<string, string> {
    const { model } = this;
    return new Map([
      [
        'config.json',
        `${JSON.stringify(taskHfConfig(model.config, model.head, this.opts.padId), null, 2)}\n`,
      ],
    ]);
  }
}
