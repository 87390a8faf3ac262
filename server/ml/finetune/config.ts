/**
 * A fine-tune run's configuration: the task section (data, labels, model start, head and freezing options) and the
 * training section of a run config (the same fields and defaults as pretraining: server/ml/train uses them —
 * schedule, plan, AdamW, clipping, checkpoints, backend), with fine-tuning's own defaults (BERT paper / Hugging Face
 * Trainer: lr 5e-5, 3 epochs, warmup 10 %, batch 16, weight decay 0.01).
 */
import { parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import type { TaskKind } from './types';

export type ClassWeights = 'none' | 'balanced' | number[];

export interface FinetuneTaskConfig {
  kind: TaskKind;
  /** Labelled training data (file or DIR/<label>/ folder), absolute. */
  train: string;
  /** Held-out data; null = a stratified split of `train`. */
  eval: string | null;
  validationSplit: number;
  textColumn: string | null;
  textPairColumn: string | null;
  labelColumn: string | null;
  labelSeparator: string;
  /** Tokens per example including [CLS]/[SEP] (at most the model's positions). */
  maxLength: number;
  /** Pretrained start: an MLM Studio run or checkpoint, a Hugging Face BERT folder, or a task model folder. */
  init: string;
  /** Keep init's shape and tokenizer, but start from random weights (the no-transfer baseline). */
  fromScratch: boolean;
  classWeights: ClassWeights;
  /** Freeze the embeddings and every encoder layer (only the pooler and classifier train). */
  freezeEncoder: boolean;
  /** Freeze the embeddings and the lowest N encoder layers. */
  freezeLayers: number;
  /** Layer-wise learning-rate decay: layer l of L gets lr × decay^(L − l) (embeddings: l = 0, head: L + 1). 1 = off. */
  layerDecay: number;
  /** Dropout of the encoder (hidden and attention); null = the checkpoint's. */
  dropout: number | null;
  /** Dropout before the classifier; null = the encoder's hidden dropout (transformers' classifier_dropout). */
  classifierDropout: number | null;
  /** Metric that picks the best checkpoint and drives early stopping; null = the task's default. */
  metric: string | null;
  /** Multilabel decision threshold on each label's sigmoid. */
  threshold: number;
  /** Evaluate every N steps; null = once per epoch. */
  evalEvery: number | null;
}

export interface FinetuneConfig {
  task: FinetuneTaskConfig;
  training: ResolvedRunConfig['training'];
  checkpoint: ResolvedRunConfig['checkpoint'];
  /** Extra metric outputs (TensorBoard event files); absent in runs saved before it existed. */
  logging?: ResolvedRunConfig['logging'];
  backend: ResolvedRunConfig['backend'];
  threads: number | null;
}

export type FinetuneConfigInput = {
  task: Partial<FinetuneTaskConfig> & Pick<FinetuneTaskConfig, 'train' | 'init'>;
  training?: Partial<ResolvedRunConfig['training']>;
  checkpoint?: Partial<ResolvedRunConfig['checkpoint']>;
  logging?: Partial<ResolvedRunConfig['logging']>;
  backend?: ResolvedRunConfig['backend'];
  threads?: number | null;
};

export class FinetuneConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinetuneConfigError';
  }
}

/** Fills defaults and checks ranges. Throws FinetuneConfigError naming the first bad value. */
export function resolveFinetuneConfig(input: FinetuneConfigInput): FinetuneConfig {
  const base = parseRunConfig({});
  if (!base.ok) throw new Error(`the default run config is invalid: ${base.errors.join('; ')}`);
  const task: FinetuneTaskConfig = {
    kind: 'classification',
    eval: null,
    validationSplit: 0.1,
    textColumn: null,
    textPairColumn: null,
    labelColumn: null,
    labelSeparator: ',',
    maxLength: 128,
    fromScratch: false,
    classWeights: 'none',
    freezeEncoder: false,
    freezeLayers: 0,
    layerDecay: 1,
    dropout: null,
    classifierDropout: null,
    metric: null,
    threshold: 0.5,
    evalEvery: null,
    ...stripUndefined(input.task),
    train: input.task.train,
    init: input.task.init,
  };
  const training: ResolvedRunConfig['training'] = {
    ...base.config.training,
    lr: 5e-5,
    warmupRatio: 0.1,
    epochs: null,
    evalBatches: null,
    logEvery: 5,
    // Task models are small and batches short: one thread unless asked (--data-parallel N splits each batch).
    dataParallel: 1,
    ...stripUndefined(input.training ?? {}),
  };
  if (training.epochs === null && training.maxSteps === null && training.timeBudget === null)
    training.epochs = 3;
  const checkpoint = { ...base.config.checkpoint, keepLast: 2, ...stripUndefined(input.checkpoint ?? {}) };
  const c: FinetuneConfig = {
    task,
    training,
    checkpoint,
    logging: { ...base.config.logging, ...stripUndefined(input.logging ?? {}) },
    backend: input.backend ?? 'auto',
    threads: input.threads ?? null,
  };
  check(c);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function check(c: FinetuneConfig): void {
  const bad = (what: string) => {
    throw new FinetuneConfigError(what);
  };
  const t = c.task;
  const r = c.training;
  const between = (v: number, lo: number, hi: number, name: string, integer = false) => {
    if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      bad(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${v}`);
    }
  };
  between(t.validationSplit, 0, 0.9, 'validation split');
  between(t.maxLength, 8, 100_000, 'max length', true);
  between(t.freezeLayers, 0, 1000, 'freeze layers', true);
  between(t.layerDecay, 0.01, 1, 'layer decay');
  between(t.threshold, 0, 1, 'threshold');
  if (t.dropout !== null) between(t.dropout, 0, 0.9, 'dropout');
  if (t.classifierDropout !== null) between(t.classifierDropout, 0, 0.9, 'classifier dropout');
  if (t.evalEvery !== null) between(t.evalEvery, 1, 1e9, 'eval every', true);
  between(r.lr, 0, 1, 'learning rate');
  between(r.batchSize, 1, 100_000, 'batch size', true);
  between(r.warmupRatio, 0, 1, 'warmup ratio');
  between(r.weightDecay, 0, 1, 'weight decay');
  between(r.seed, 0, 2 ** 32 - 1, 'seed', true);
  if (r.epochs !== null) between(r.epochs, 0.001, 1e6, 'epochs');
  if (r.maxSteps !== null) between(r.maxSteps, 1, 1e9, 'max steps', true);
  if (r.dataParallel !== 'auto') between(r.dataParallel, 1, 64, 'data parallel (replicas)', true);
  if (Array.isArray(t.classWeights) && t.classWeights.some((w) => !Number.isFinite(w) || w < 0)) {
    bad(`class weights must be numbers ≥ 0, got ${t.classWeights.join(',')}`);
  }
  if (t.classWeights !== 'none' && (t.kind === 'multilabel' || t.kind === 'regression')) {
    bad(`class weights are for classification and token classification, not ${t.kind}`);
  }
}
