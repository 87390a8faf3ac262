/**
 * Scoring a task model on encoded examples: the mean loss, the task's metrics (metrics.ts) as one flat record
 * (the keys `mlm eval --json` prints and metrics.jsonl carries) plus the detail (per class, confusion matrix),
 * and the majority baseline — the same metrics for the constant prediction a model without the text would make.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readData } from '../backend/read';
import { makeBatch, type Feature } from './features';
import {
  classificationMetrics,
  multilabelMetrics,
  regressionMetrics,
  tokenMetrics,
  type ClassificationMetrics,
  type ClassScores,
  type MultilabelMetrics,
  type RegressionMetrics,
  type TokenMetrics,
} from './metrics';
import { taskLoss, type BertTaskModel } from './model';
import type { TaskKind } from './types';

/** The metrics each task reports, and which direction is better. */
export const TASK_METRICS: Record<TaskKind, readonly string[]> = {
  classification: ['loss', 'accuracy', 'macroF1'],
  multilabel: ['loss', 'microF1', 'macroF1', 'subsetAccuracy'],
  regression: ['loss', 'mse', 'mae', 'pearson', 'spearman'],
  token: ['loss', 'precision', 'recall', 'f1', 'tokenAccuracy'],
};

/** The metric that picks the best checkpoint unless one is named. */
export const DEFAULT_METRIC: Record<TaskKind, string> = {
  classification: 'accuracy',
  multilabel: 'microF1',
  regression: 'mse',
  token: 'f1',
};

export const lowerIsBetter = (metric: string): boolean => ['loss', 'mse', 'mae'].includes(metric);

export type TaskDetail =
  | { task: 'classification'; metrics: ClassificationMetrics }
  | { task: 'multilabel'; metrics: MultilabelMetrics }
  | { task: 'regression'; metrics: RegressionMetrics }
  | { task: 'token'; metrics: TokenMetrics };

export interface TaskEvaluation {
  /** Flat metrics: the keys of TASK_METRICS[task] (loss absent for the baseline). */
  metrics: Record<string, number>;
  detail: TaskDetail;
  examples: number;
}

/** Model outputs for one feature: logits over the labels (token task: one row per labelled token). */
export interface FeatureOutput {
  logits: Float32Array[];
}

/**
 * Runs the model over features in batches; returns each feature's logits rows and the mean loss. Reads
 * asynchronously (every backend: webgpu has no synchronous read in Node, backend/read.ts).
 */
export async function runModel(
  model: BertTaskModel,
  features: readonly Feature[],
  batchSize: number,
  padId: number,
  onBatch?: (done: number, total: number) => void,
): Promise<{ outputs: FeatureOutput[]; loss: number }> {
  const { task } = model.head;
  const k = model.numLabels;
  const outputs: FeatureOutput[] = [];
  let lossSum = 0;
  let lossRows = 0;
  const total = Math.ceil(features.length / batchSize);
  for (let i = 0; i < features.length; i += batchSize) {
    onBatch?.(i / batchSize, total);
    const chunk = features.slice(i, i + batchSize);
    const batch = makeBatch(chunk, task, k, padId);
    const [l, lossT] = tf.tidy(() => {
      const out = model.logits(batch, false); // [rows, k]
      return [out, taskLoss(task, out, batch)];
    });
    let logits: Float32Array;
    let loss: number;
    try {
      const [lv, sv] = await Promise.all([readData(l), readData(lossT)]);
      logits = lv as Float32Array;
      loss = sv[0];
    } finally {
      tf.dispose([l, lossT]);
    }
    // The loss is a mean over rows (sequence tasks) or labelled tokens (token task): weight it back.
    const rows = batch.maskedPositions.length;
    lossSum += loss * rows;
    lossRows += rows;
    let r = 0;
    for (const f of chunk) {
      const n = task === 'token' ? f.tokenLabels!.reduce((s, x) => s + (x >= 0 ? 1 : 0), 0) : 1;
      const rowsOf: Float32Array[] = [];
      for (let j = 0; j < n; j++, r++) rowsOf.push(logits.slice(r * k, (r + 1) * k));
      outputs.push({ logits: rowsOf });
    }
  }
  return { outputs, loss: lossRows ? lossSum / lossRows : NaN };
}

export const argmax = (x: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
};

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function softmax(x: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const e = Array.from(x, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Per feature, the predicted label ids / 0-1 vector / values / tag ids, from the model's logits. */
export type Prediction = number | number[];

export function predictionsOf(
  task: TaskKind,
  outputs: readonly FeatureOutput[],
  threshold: number,
): Prediction[] {
  return outputs.map((o) => {
    if (task === 'classification') return argmax(o.logits[0]);
    if (task === 'multilabel') return Array.from(o.logits[0], (v) => (sigmoid(v) >= threshold ? 1 : 0));
    if (task === 'regression') return Array.from(o.logits[0]);
    return o.logits.map((row) => argmax(row));
  });
}

/** The truth of each feature in the same shapes as predictionsOf. */
function truthOf(task: TaskKind, f: Feature): Prediction {
  if (task === 'classification') return f.label;
  if (task === 'multilabel' || task === 'regression') return Array.from(f.targets!);
  return Array.from(f.tokenLabels!).filter((x) => x >= 0);
}

/** Task metrics of predictions against the features' truth. */
export function scorePredictions(
  task: TaskKind,
  labels: readonly string[],
  features: readonly Feature[],
  predictions: readonly Prediction[],
): Omit<TaskEvaluation, 'metrics'> & { metrics: Record<string, number> } {
  const truth = features.map((f) => truthOf(task, f));
  if (task === 'classification') {
    const m = classificationMetrics(truth as number[], predictions as number[], labels);
    return {
      metrics: { accuracy: m.accuracy, macroF1: m.macroF1 },
      detail: { task, metrics: m },
      examples: features.length,
    };
  }
  if (task === 'multilabel') {
    const m = multilabelMetrics(truth as number[][], predictions as number[][], labels);
    return {
      metrics: { microF1: m.microF1, macroF1: m.macroF1, subsetAccuracy: m.subsetAccuracy },
      detail: { task, metrics: m },
      examples: features.length,
    };
  }
  if (task === 'regression') {
    const m = regressionMetrics(truth as number[][], predictions as number[][]);
    return { metrics: { ...m }, detail: { task, metrics: m }, examples: features.length };
  }
  const tags = (ids: number[]) => ids.map((i) => labels[i]);
  const m = tokenMetrics((truth as number[][]).map(tags), (predictions as number[][]).map(tags));
  return {
    metrics: { precision: m.precision, recall: m.recall, f1: m.f1, tokenAccuracy: m.tokenAccuracy },
    detail: { task, metrics: m },
    examples: features.length,
  };
}

/** Loss and metrics of the model on features (no dropout). Leaves no tensor behind. */
export async function evaluateTask(
  model: BertTaskModel,
  features: readonly Feature[],
  opts: {
    batchSize: number;
    padId: number;
    threshold: number;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<TaskEvaluation> {
  const { task, labels } = model.head;
  const { outputs, loss } = await runModel(model, features, opts.batchSize, opts.padId, opts.onBatch);
  const scored = scorePredictions(task, labels, features, predictionsOf(task, outputs, opts.threshold));
  return { ...scored, metrics: { loss, ...scored.metrics } };
}

/**
 * The majority baseline: every eval feature gets the constant prediction learnt from the training features —
 * the most frequent class (classification) or tag (token), each label whose training frequency is ≥ ½
 * (multilabel), the training mean (regression).
 */
export function majorityBaseline(
  task: TaskKind,
  labels: readonly string[],
  train: readonly Feature[],
  evalSet: readonly Feature[],
): TaskEvaluation & { prediction: string } {
  const k = labels.length;
  let constant: (f: Feature) => Prediction;
  let prediction: string;
  if (task === 'classification' || task === 'token') {
    const counts = new Array<number>(k).fill(0);
    for (const f of train) {
      if (task === 'classification') counts[f.label]++;
      else for (const t of f.tokenLabels!) if (t >= 0) counts[t]++;
    }
    const top = argmax(counts);
    prediction = `always "${labels[top]}"`;
    constant =
      task === 'classification'
        ? () => top
        : (f) =>
            Array.from(f.tokenLabels!)
              .filter((x) => x >= 0)
              .map(() => top);
  } else {
    const mean = new Array<number>(k).fill(0);
    for (const f of train) for (let j = 0; j < k; j++) mean[j] += f.targets![j] / Math.max(1, train.length);
    if (task === 'multilabel') {
      const on = mean.map((m) => (m >= 0.5 ? 1 : 0));
      prediction = `always {${labels.filter((_, j) => on[j]).join(', ')}}`;
      constant = () => on;
    } else {
      prediction = `always the training mean (${mean.map((m) => m.toPrecision(4)).join(', ')})`;
      constant = () => mean;
    }
  }
  return { ...scorePredictions(task, labels, evalSet, evalSet.map(constant)), prediction };
}

/** Per-class F1 of an evaluation (classification, multilabel, token types), for the dashboard. */
export function perClassOf(detail: TaskDetail): ClassScores[] {
  if (detail.task === 'classification') return detail.metrics.perClass;
  if (detail.task === 'multilabel') return detail.metrics.perLabel;
  if (detail.task === 'token') return detail.metrics.perType;
  return [];
}

/** "accuracy 81.2 %, macroF1 0.790" — ratios as percentages where that is how they are read. */
export function formatMetrics(m: Record<string, number>): string {
  const pctKeys = new Set(['accuracy', 'subsetAccuracy', 'tokenAccuracy']);
  return Object.entries(m)
    .map(([k, v]) =>
      pctKeys.has(k)
        ? `${k} ${(v * 100).toFixed(1)} %`
        : `${k} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`,
    )
    .join(', ');
}
