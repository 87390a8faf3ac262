/**
 * The pieces of a fine-tune run before its loop: the label set, the model's start (a pretraining run, a Hugging
 * Face BERT with its pooler, or a task model whose head is kept when its labels match), class weights, freezing, the
 * run config the trainer's loop reads, and the report of skipped rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { newestUsableCheckpoint } from '../checkpoint';
import { loadInitCheckpoint } from '../hf/importHf';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer';
import type { BertConfig, NamedTensor, TrainCallbacks } from '../types';
import type { FinetuneConfig } from './config';
import { AdamW } from '../train/adamw';
import { formatMetrics, majorityBaseline } from './evaluate';
import { LayerwiseAdamW } from './layerwise';
import { encodeExamples, type EncodedSet, type Feature } from './features';
import { checkLabels, labelSet } from './labels';
import { POOLER, type BertTaskModel, type TaskHead } from './model';
import { isTaskModelFolder, loadTaskModelFolder, parseTaskHfConfig, readNamedTensors } from './taskFolder';
import { isTokenExample, type BadRow, type LabelledExample } from './types';

/** The majority baseline as finetune.json keeps it. */
export interface BaselineRecord {
  prediction: string;
  metrics: Record<string, number>;
}

export function logBad(cb: TrainCallbacks, what: string, bad: readonly BadRow[]): void {
  if (!bad.length) return;
  const shown = bad.slice(0, 5).map((b) => `    ${b.where}: ${b.reason}`);
  cb.onLog?.(
    'warn',
    `${what}: ${bad.length} row${bad.length === 1 ? '' : 's'} skipped\n${shown.join('\n')}${bad.length > 5 ? `\n    … and ${bad.length - 5} more` : ''}`,
  );
}

/** Label ids in order: the data's labels (classification, multilabel, token) or LABEL_i per regression target. */
export function taskLabels(
  config: FinetuneConfig,
  train: readonly LabelledExample[],
  evalSet: readonly LabelledExample[],
): string[] {
  if (config.task.kind !== 'regression') return labelSet(config.task.kind, train, evalSet);
  const first = train.find((e) => !isTokenExample(e));
  const n = first && !isTokenExample(first) ? (first.values?.length ?? 1) : 1;
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/** The encoder's start: config, weights (HF names; empty from scratch), tokenizer and a one-line description. */
export async function loadStart(
  config: FinetuneConfig,
  head: Omit<TaskHead, 'labels'>,
  labels: readonly string[],
): Promise<{
  config: BertConfig;
  state: Map<string, NamedTensor>;
  tokenizer: AnyTokenizer;
  start: string;
  keepHead: boolean;
}> {
  const init = config.task.init;
  if (isTaskModelFolder(init)) {
    const f = await loadTaskModelFolder(init);
    const sameHead = f.head.task === head.task && f.head.labels.join('\u0000') === labels.join('\u0000');
    const state = new Map([...f.state].filter(([n]) => sameHead || !n.startsWith('classifier.')));
    return {
      config: f.config,
      state,
      tokenizer: f.tokenizer,
      keepHead: sameHead,
      start: `task model ${init} (${sameHead ? 'continuing its head' : `new ${head.task} head: its labels differ`})`,
    };
  }
  const ckpt = await loadInitCheckpoint(init);
  const state = new Map(ckpt.state);
  // The MLM head is not part of a task model; the pooler is, when the checkpoint has one (loadInitCheckpoint skips it).
  for (const n of [...state.keys()]) if (n.startsWith('cls.')) state.delete(n);
  let pooler = false;
  if (head.task !== 'token') {
    const all = await readNamedTensors(ckpt.report.weightFiles);
    for (const s of ['weight', 'bias']) {
      const t = all.get(`${POOLER}.${s}`);
      if (t) {
        state.set(`${POOLER}.${s}`, t);
        pooler = true;
      }
    }
  }
  return {
    config: ckpt.config,
    state,
    tokenizer: ckpt.tokenizer,
    keepHead: false,
    start: `${ckpt.report.architecture} ${init}${head.task !== 'token' ? (pooler ? ' (with its pooler)' : ' (new pooler)') : ''}`,
  };
}

/** Inverse-frequency ("balanced", as scikit-learn) or given class weights. */
export function classWeightsFor(
  config: FinetuneConfig,
  labels: readonly string[],
  train: readonly Feature[],
): Float32Array | undefined {
  const cw = config.task.classWeights;
  if (cw === 'none') return undefined;
  if (Array.isArray(cw)) {
    if (cw.length !== labels.length) {
      throw new Error(
        `${cw.length} class weights for ${labels.length} labels (${labels.join(', ')}): give one per label, in this order`,
      );
    }
    return Float32Array.from(cw);
  }
  const counts = new Array<number>(labels.length).fill(0);
  let n = 0;
  for (const f of train) {
    if (config.task.kind === 'token') {
      for (const t of f.tokenLabels!) {
        if (t < 0) continue;
        counts[t]++;
        n++;
      }
    } else {
      counts[f.label]++;
      n++;
    }
  }
  return Float32Array.from(counts, (c) => n / (labels.length * Math.max(1, c)));
}

/** Freezes the embeddings and the lowest N layers (all with freezeEncoder); returns how many tensors froze. */
export function freeze(model: BertTaskModel, config: FinetuneConfig): number {
  const layers = model.config.numHiddenLayers;
  const n = config.task.freezeEncoder ? layers : Math.min(layers, config.task.freezeLayers);
  if (n === 0 && !config.task.freezeEncoder) return 0;
  let frozen = 0;
  for (const [name, v] of model.variables) {
    const m = /^bert\.encoder\.layer\.(\d+)\./.exec(name);
    if (name.startsWith('bert.embeddings.') || (m && Number(m[1]) < n)) {
      v.trainable = false;
      frozen++;
    }
  }
  return frozen;
}

/**
 * The run config the trainer's loop reads: the fine-tune run's training and checkpoint sections, evaluation every
 * `evalEvery` steps, the best checkpoint always kept, and the max length as the sequence length (for FLOPs).
 */
export function loopConfig(c: FinetuneConfig, maxLength: number, evalEvery: number): ResolvedRunConfig {
  const base = parseRunConfig({});
  if (!base.ok) throw new Error(`the default run config is invalid: ${base.errors.join('; ')}`);
  return {
    ...base.config,
    data: { ...base.config.data, seqLen: maxLength },
    training: { ...c.training, gradAccumulation: 1, evalEvery },
    checkpoint: { ...c.checkpoint, keepBest: true },
    logging: { ...base.config.logging, ...c.logging },
    backend: c.backend,
    threads: c.threads,
  };
}

/**
 * The model's start for a new run (loadStart, with the run's dropout; the tokenizer is saved in the run) or, on
 * resume, the shape of the newest checkpoint and the run's tokenizer.
 */
export async function modelStart(
  config: FinetuneConfig,
  runDir: string,
  resume: boolean,
  head: Omit<TaskHead, 'labels'>,
  labels: readonly string[],
): Promise<{
  start?: Awaited<ReturnType<typeof loadStart>>;
  modelConfig: BertConfig;
  tokenizer: AnyTokenizer;
}> {
  if (resume) {
    const tokenizer = await loadTokenizer(runDir);
    const ck = newestUsableCheckpoint(runDir, { clean: true });
    if (!ck) throw new Error(`${runDir} has no complete checkpoint to resume from: start a new run instead`);
    const parsed = parseTaskHfConfig(
      JSON.parse(fs.readFileSync(path.join(ck.dir, 'config.json'), 'utf8')),
      ck.dir,
    );
    if (!parsed)
      throw new Error(`${ck.dir}/config.json is not a task model's config: the checkpoint is damaged`);
    return { modelConfig: parsed.config, tokenizer };
  }
  const start = await loadStart(config, head, labels);
  const dropout = config.task.dropout;
  await start.tokenizer.save(runDir);
  return {
    start,
    tokenizer: start.tokenizer,
    modelConfig: {
      ...start.config,
      ...(dropout !== null ? { hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout } : {}),
    },
  };
}

/**
 * Encodes the training and held-out examples (held-out rows with an unknown label are skipped), reports sizes,
 * truncations and skipped rows, and measures the majority baseline on the held-out set.
 */
export function encodeSplits(
  tc: FinetuneConfig['task'],
  split: { train: readonly LabelledExample[]; eval: readonly LabelledExample[] },
  labels: readonly string[],
  tokenizer: AnyTokenizer,
  maxLength: number,
  cb: TrainCallbacks,
): {
  trainSet: EncodedSet;
  evalSet: EncodedSet;
  skipped: number;
  truncated: number;
  baseline: BaselineRecord | null;
} {
  const spec = { task: tc.kind, labels, maxLength };
  const trainSet = encodeExamples(split.train, tokenizer, spec);
  const evalChecked = checkLabels(split.eval, labels);
  const evalSet = encodeExamples(evalChecked.kept, tokenizer, spec);
  logBad(cb, 'training rows', trainSet.bad);
  logBad(cb, 'held-out rows', [...evalChecked.bad, ...evalSet.bad]);
  if (!trainSet.features.length) throw new Error(`no training example left after encoding ${tc.train}`);
  const truncated = trainSet.truncated + evalSet.truncated;
  const n = labels.length;
  cb.onLog?.(
    'info',
    `${tc.kind}: ${n} ${tc.kind === 'regression' ? 'target' : 'label'}${n === 1 ? '' : 's'} (${labels.slice(0, 12).join(', ')}${n > 12 ? ', …' : ''}); ` +
      `${trainSet.features.length} training / ${evalSet.features.length} held-out examples${tc.eval ? '' : ` (a stratified ${Math.round(tc.validationSplit * 100)} % split)`}; ` +
      `${truncated} truncated to ${maxLength} tokens`,
  );
  let baseline: BaselineRecord | null = null;
  if (evalSet.features.length) {
    const b = majorityBaseline(tc.kind, labels, trainSet.features, evalSet.features);
    baseline = { prediction: b.prediction, metrics: b.metrics };
    cb.onLog?.('info', `majority baseline (${b.prediction}): ${formatMetrics(b.metrics)}`);
  } else {
    cb.onLog?.('warn', 'no held-out examples: evaluation, the best checkpoint and early stopping are off');
  }
  const skipped = trainSet.bad.length + evalSet.bad.length + evalChecked.bad.length;
  return { trainSet, evalSet, skipped, truncated, baseline };
}

/** AdamW over the model's variables, with layer-wise learning-rate decay when the run asks for it. */
export function makeOptimizer(model: BertTaskModel, config: FinetuneConfig, cb: TrainCallbacks): AdamW {
  const t = config.training;
  const decay = config.task.layerDecay;
  const opts = { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon, weightDecay: t.weightDecay };
  if (decay === 1) return new AdamW(model.variables, opts);
  const layers = model.config.numHiddenLayers;
  cb.onLog?.(
    'info',
    `layer-wise lr decay ${decay}: the embeddings train at ${(decay ** (layers + 1)).toPrecision(3)} × lr, the head at 1 × lr`,
  );
  return new LayerwiseAdamW(model.variables, opts, layers, decay);
}
