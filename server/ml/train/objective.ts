/**
 * The objective seam of the training loop (train/loop.ts): what a run trains the model *for*. The loop owns the
 * optimizer, the schedule, stop criteria, evaluation cadence, checkpoints, exact resume and metrics; an Objective
 * owns the model's task: which batches come next, the loss and accuracy of a batch, held-out evaluation and what
 * a checkpoint writes beside the weights. Masked-LM pretraining (train/mlmObjective.ts) is the first one; a
 * fine-tuning task (sequence/token classification, regression: issue #11) is another implementation over a task
 * model (encoder + head) with its own batch type B.
 *
 * To add one: implement Objective<B> (next/position/epochs over a seeded stream that resumes from a DataPosition,
 * LossSource<B> for the gradient step, evaluate for the eval row, checkpointFiles for config.json and the like),
 * build it in a prepare function as prepareRun does for MLM, and hand it to trainLoop. Data-parallel replicas are
 * optional (startReplicas); without them the objective trains on one thread.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { CheckpointState } from '../checkpoint/state';
import type { DataPosition } from '../data/stream';
import type { MaskCounts } from '../data/masking';
import type { MetricRecord, NamedTensor, TrainCallbacks } from '../types';
import type { AdamW } from './adamw';
import type { SpawnReplica } from './parallel/messages';
import type { LossSource } from './step';
import type { StepResult, UpdateOptions } from './update';

/** The weights a run trains and checkpoints (an MlmModel, or a task model with its head). */
export interface TrainableModel {
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Weights in Hugging Face names and shapes: what a checkpoint saves. */
  toHfState(): Map<string, NamedTensor>;
  /** Assigns a checkpoint's weights (restore). */
  loadHfState(state: ReadonlyMap<string, NamedTensor>): void;
  /** The dropout stream's position, saved for an exact resume. */
  getRngState?(): number;
  setRngState?(state: number): void;
  dispose(): void;
}

/** One micro-batch of the training stream. */
export interface TrainBatch<B> {
  batch: B;
  /** Real (non-padding) tokens in it: tokens/s and trainTokens. */
  tokens: number;
  /** MLM only: how its targets were masked (summed into the state's maskCounts). */
  counts?: MaskCounts;
}

/** Metric columns (protocol/shared/metrics.ts METRIC_COLUMNS) an objective adds to a row. */
export type MetricColumns = Partial<Omit<MetricRecord, 'split' | 'step' | 'epoch' | 'time' | 'loss'>>;

/** Held-out results of one evaluation: its loss and any metric columns (accuracy, perplexity, F1 …). */
export type EvalMetrics = Pick<MetricRecord, 'loss'> & MetricColumns;

/** Several replicas computing one step's gradient together (data parallel); null = this thread only. */
export interface ReplicaGroup<B> {
  readonly replicas: number;
  step(optimizer: AdamW, batches: readonly B[], opts: UpdateOptions): Promise<StepResult>;
  close(): Promise<void>;
}

export interface ReplicaContext {
  /** How to start a replica thread; undefined when the caller cannot (data parallel is then off). */
  spawn?: SpawnReplica;
  /** Work of one micro-batch's forward and backward pass (FLOPs), for training.dataParallel "auto". */
  stepFlops: number;
  onLog?: TrainCallbacks['onLog'];
  /** At most this many replicas (the memory plan's: train/memory.ts). */
  maxReplicas?: number;
}

export interface Objective<B> extends LossSource<B> {
  /** What is trained: its weights are checkpointed and restored by the loop. */
  readonly model: TrainableModel;
  /** Micro-batches per epoch of the training split (the plan's unit). */
  readonly batchesPerEpoch: number;
  /** Where the training stream continues (saved in every checkpoint; the stream was built at the saved one). */
  readonly position: DataPosition;
  /** Fractional epochs consumed. */
  readonly epochs: number;
  /** The next training micro-batch (deterministic given the seed and the position). */
  next(): TrainBatch<B>;
  /** False when the run has no held-out split: evaluation (and early stopping) are off. */
  readonly hasHeldOut: boolean;
  /** Held-out evaluation without dropout (called only when hasHeldOut); reads asynchronously (webgpu). */
  evaluate(): Promise<EvalMetrics>;
  /**
   * The number early stopping and the "best" checkpoint follow, lower is better (the state's bestEvalLoss holds
   * it); default: the eval loss. A task selecting by a metric returns e.g. -macroF1.
   */
  selectionScore?(m: EvalMetrics): number;
  /** What selectionScore measures, for messages (default "eval loss"). */
  readonly selectionName?: string;
  /** Columns for every training row from the state (MLM: the realised masking rates). */
  trainColumns?(state: CheckpointState): MetricColumns;
  /** Files written beside the weights in every checkpoint (file name → text), e.g. config.json. */
  checkpointFiles(): Map<string, string>;
  /** Starts data-parallel replicas when the run asks for them and this objective supports them. */
  startReplicas?(ctx: ReplicaContext): Promise<ReplicaGroup<B> | null>;
}
