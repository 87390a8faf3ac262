/**
 * Task models with Hugging Face's names and math:
 *   BertForSequenceClassification — the pooler (dense + tanh on the [CLS] row, "bert.pooler.dense"), dropout
 *     (classifier_dropout, else hidden_dropout_prob), then "classifier" [hidden → labels];
 *   BertForTokenClassification — dropout on every labelled token's hidden state, then "classifier".
 * Losses as transformers computes them for each problem_type: cross-entropy (optionally class-weighted, as
 * torch.nn.CrossEntropyLoss(weight=w): Σ w_y·nll / Σ w_y), BCE-with-logits averaged over every label of every row
 * (multilabel) and MSE averaged over every target (regression).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readData } from '../backend/read';
import { BertEncoder } from '../model/bert';
import { attentionMaskBias } from '../model/bertBlocks';
import type { TargetBatch } from '../model/paramModel';
import { checkBatchShape, sparseCrossEntropy } from '../model/ops';
import { splitStep } from '../train/parallel/split';
import { countCorrect, type LossSource } from '../train/step';
import type { BertConfig, MlmBatch, MlmModel } from '../types';
import type { TaskKind } from './types';

export interface TaskHead {
  task: TaskKind;
  /** id2label: class names (classification, multilabel), tags (token) or target names (regression). */
  labels: string[];
  /** HF classifier_dropout: null = hidden_dropout_prob. */
  classifierDropout: number | null;
}

/** A batch for a task model: the rows to score are `maskedPositions` ([CLS] rows or labelled first sub-tokens). */
export interface TaskBatch extends MlmBatch {
  /** [batchSize * seqLen] segment ids (1 for the second text of a pair); absent = all 0. */
  tokenTypeIds?: Int32Array;
  /**
   * [rows * labels] float targets: multi-hot for multilabel, values for regression. Classification and token
   * classification use `labels` (one class id per row) instead.
   */
  targets?: Float32Array;
}

export const POOLER = 'bert.pooler.dense';
export const CLASSIFIER = 'classifier';

export const architectureOf = (task: TaskKind): string =>
  task === 'token' ? 'BertForTokenClassification' : 'BertForSequenceClassification';

/** True for the parameters of the task head (pooler and classifier), false for the encoder's. */
export const isHeadParameter = (name: string): boolean =>
  name.startsWith(`${POOLER}.`) || name.startsWith(`${CLASSIFIER}.`);

export class BertTaskModel extends BertEncoder implements MlmModel {
  readonly head: TaskHead;
  /** Per-class loss weights (classification and token classification), or none. */
  private classWeights: Float32Array | undefined;

  constructor(config: BertConfig, head: TaskHead, seed: number) {
    super(config, seed);
    if (!head.labels.length) throw new Error('a task model needs at least one label (or regression target)');
    this.head = { ...head, labels: [...head.labels] };
    const h = config.hiddenSize;
    if (head.task !== 'token') this.addLinear(POOLER, h, h);
    this.addLinear(CLASSIFIER, h, head.labels.length);
  }

  get numLabels(): number {
    return this.head.labels.length;
  }

  /** The loss weights per class, or undefined (unweighted). */
  get lossWeights(): Float32Array | undefined {
    return this.classWeights;
  }

  /** Loss weights per class (length = labels), e.g. inverse frequencies; undefined = unweighted. */
  setClassWeights(weights: Float32Array | undefined): void {
    if (weights && weights.length !== this.numLabels) {
      throw new Error(`${weights.length} class weights for ${this.numLabels} labels`);
    }
    if (weights && (this.head.task === 'regression' || this.head.task === 'multilabel')) {
      throw new Error(`class weights are for classification and token classification, not ${this.head.task}`);
    }
    this.classWeights = weights;
  }

  /** Hidden rows [m, h] → logits [m, labels] through the head (pooler first for sequence tasks). */
  private headLogits(hidden: tf.Tensor2D, training: boolean): tf.Tensor2D {
    const p = training ? (this.head.classifierDropout ?? this.config.hiddenDropoutProb) : 0;
    let x = hidden;
    if (this.head.task !== 'token') x = tf.tanh(this.denseAt(x, POOLER));
    x = this.dropout.apply(x, p);
    return this.denseAt(x, CLASSIFIER);
  }

  /** Logits [maskedPositions.length, labels] of a validated batch (token types when it is a TaskBatch). */
  protected targetLogits(
    batch: TargetBatch & Pick<TaskBatch, 'tokenTypeIds'>,
    training: boolean,
  ): tf.Tensor2D {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions: rows, tokenTypeIds } = batch;
    this.checkIds(inputIds);
    const maskBias = attentionMaskBias(attentionMask, batchSize, seqLen);
    return this.headLogits(
      this.encode({ inputIds, batchSize, seqLen, maskBias, rows, tokenTypeIds }, training),
      training,
    );
  }

  /** Logits [rows, labels] of a batch (the reference forward, with dropout when training). Call inside a tidy. */
  logits(batch: TaskBatch, training: boolean): tf.Tensor2D {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions } = batch;
    checkBatchShape(
      inputIds,
      attentionMask,
      batchSize,
      seqLen,
      maskedPositions,
      this.config.maxPositionEmbeddings,
    );
    return this.targetLogits(batch, training);
  }

  /** Inference logits [rows, labels] (no dropout), as plain numbers; read asynchronously (webgpu too). */
  async predict(batch: TaskBatch): Promise<Float32Array> {
    const t = tf.tidy(() => this.logits(batch, false));
    try {
      return (await readData(t)) as Float32Array;
    } finally {
      t.dispose();
    }
  }

  override loss(batch: TaskBatch, training: boolean): { loss: tf.Scalar; logits: tf.Tensor2D } {
    const logits = this.logits(batch, training);
    return { loss: taskLoss(this.head.task, logits, batch, this.classWeights), logits };
  }
}

/** The loss of one batch's logits [rows, labels] for the task (see the file comment). */
export function taskLoss(
  task: TaskKind,
  logits: tf.Tensor2D,
  batch: TaskBatch,
  classWeights?: Float32Array,
): tf.Scalar {
  const [rows, k] = logits.shape;
  if (task === 'multilabel' || task === 'regression') {
    const t = batch.targets;
    if (!t || t.length !== rows * k) {
      throw new Error(`the batch has ${t?.length ?? 0} targets for ${rows} rows × ${k} labels`);
    }
    const z = tf.tensor2d(t, [rows, k]);
    if (task === 'regression') return tf.mean(tf.square(tf.sub(logits, z))) as tf.Scalar;
    // BCEWithLogits, stable form: max(x, 0) − x·z + log(1 + e^−|x|).
    return tf.mean(
      tf.add(tf.sub(tf.relu(logits), tf.mul(logits, z)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
    ) as tf.Scalar;
  }
  if (batch.labels.length !== rows)
    throw new Error(`the batch has ${batch.labels.length} labels for ${rows} rows`);
  if (!classWeights) return sparseCrossEntropy(logits, batch.labels);
  const w = new Float32Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const y = batch.labels[i];
    if (y < 0 || y >= k) throw new Error(`label ${y} at row ${i} is outside [0, ${k})`);
    w[i] = classWeights[y];
    total += w[i];
  }
  const picked = tf.sum(
    tf.mul(tf.logSoftmax(logits), tf.cast(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), k), 'float32')),
    1,
  ); // [rows]
  return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(w)))), total) as tf.Scalar;
}

/**
 * A task model's loss for the trainer's gradient step (train/step.ts) and its data-parallel replicas: the loss and
 * argmax hits (classification, token), the mass that splits a batch across replicas (the class weights' sum under
 * weighted cross-entropy, else one per scored row), and passes of fewer rows (train/memory.ts).
 */
export function taskLossSource(model: BertTaskModel): LossSource<TaskBatch> {
  const task = model.head.task;
  const argmax = task === 'classification' || task === 'token';
  const lossMass = (batch: TaskBatch): number => {
    const w = model.lossWeights;
    if (!w) return batch.labels.length;
    let sum = 0;
    for (const y of batch.labels) sum += w[y] ?? 0;
    return sum;
  };
  return {
    variables: model.variables,
    batchLoss(batch, training) {
      const { loss, logits } = model.loss(batch, training);
      if (!argmax) return { loss, correct: tf.scalar(0, 'int32') };
      const labels = tf.tensor1d(batch.labels, 'int32');
      const correct = countCorrect(logits, labels);
      labels.dispose();
      return { loss, correct };
    },
    // Argmax accuracy is a training metric of single-label classes and tags only (0 targets: no accuracy).
    batchTargets: (batch) => (argmax ? batch.labels.length : 0),
    lossMass,
    splitPasses: (batches, chunks) => splitStep(batches, chunks, lossMass).flat(),
  };
}
