/**
 * runFinetune: one fine-tune run, top to bottom — run folder, labelled data, label set and held-out split, the
 * task model started from a pretrained checkpoint (or from scratch), the majority baseline, then pretraining's
 * trainer pieces (server/ml/train: plan and LR schedule, trainStep with clipping and the NaN guard, AdamW) in a loop
 * with evaluation, the best checkpoint on a chosen metric, early stopping, a time budget and exact resume.
 * Reports through callbacks and never throws: failures come back as { stoppedBy: 'error', error }.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backend';
import {
  MetricsLog,
  newestUsableCheckpoint,
  readMetrics,
  readOptimizer,
  readRunStatus,
  readWeights,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
  writeRunStatus,
  METRICS_FILE,
  emptyCheckpointState,
  type CheckpointState,
  type RunStatusRecord,
} from '../checkpoint';
import { writeFileAtomic } from '../checkpoint/atomic';
import { mixSeed, permutation, SeededRng } from '../data/rng';
import { loadInitCheckpoint } from '../hf/importHf';
import { loadTokenizer, type WordPieceTokenizer } from '../tokenizer';
import { AdamW } from '../train/adamw';
import { LayerwiseAdamW } from './layerwise';
import { limitReached, makePlan, progressOf } from '../train/plan';
import { learningRate } from '../train/schedule';
import { trainStep } from '../train/step';
import type { StopReason } from '../train/summary';
import type { BertConfig, MetricRecord, NamedTensor, TrainCallbacks, TrainControl } from '../types';
import type { FinetuneConfig } from './config';
import {
  DEFAULT_METRIC,
  evaluateTask,
  lowerIsBetter,
  majorityBaseline,
  perClassOf,
  TASK_METRICS,
  type TaskEvaluation,
} from './evaluate';
import { encodeExamples, makeBatch, type EncodedSet, type Feature } from './features';
import { checkLabels, labelSet, stratifiedSplit } from './labels';
import { BertTaskModel, isHeadParameter, POOLER, type TaskHead } from './model';
import { readLabelledData, type LabelledData } from './reader';
import {
  FINETUNE_FILE,
  isTaskModelFolder,
  loadTaskModelFolder,
  parseTaskHfConfig,
  readNamedTensors,
  taskHfConfig,
} from './taskFolder';
import { isTokenExample, type BadRow, type LabelledExample } from './types';

/** What finetune.json holds: the resolved config and what the data gave (label set, sizes, the start's report). */
export interface FinetuneRecord {
  format: 1;
  /** The resolved config (null for a model brought in by `mlm import`: it has no training to resume). */
  config: FinetuneConfig | null;
  head: TaskHead;
  /** Where the weights came from ("from scratch" keeps init's shape and tokenizer only). */
  start: string;
  data: { train: number; eval: number; skipped: number; truncated: number };
  baseline: { prediction: string; metrics: Record<string, number> } | null;
}

export interface FinetuneSummary {
  runDir: string;
  steps: number;
  epochs: number;
  stoppedBy: StopReason;
  error?: string;
  task?: TaskHead;
  /** The chosen metric and its best value (at bestStep). */
  metric?: string;
  bestStep?: number | null;
  /** Held-out metrics at the best checkpoint (else the last evaluation). */
  best?: Record<string, number>;
  last?: Record<string, number>;
  baseline?: FinetuneRecord['baseline'];
  bestCheckpoint?: string;
  lastCheckpoint?: string;
}

export interface RunFinetuneOptions {
  /** The run folder itself (created; must be new or empty unless resuming). */
  out: string;
  /** Continue the run in `out` from its newest complete checkpoint. */
  resume?: boolean;
  callbacks?: TrainCallbacks;
  control?: TrainControl;
}

/** State saved beside CheckpointState in each checkpoint (the chosen metric's best value). */
const TASK_STATE_FILE = 'finetune-state.json';
interface TaskState {
  metric: string;
  bestValue: number | null;
}

/** The order of the training examples in an epoch (seeded; a resume recomputes it). */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, new SeededRng(mixSeed(seed, epoch)));
}

export function readFinetuneRecord(runDir: string): FinetuneRecord {
  const file = path.join(runDir, FINETUNE_FILE);
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a fine-tune run (no ${FINETUNE_FILE})`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FinetuneRecord;
}

function logBad(cb: TrainCallbacks, what: string, bad: readonly BadRow[]): void {
  if (!bad.length) return;
  const shown = bad.slice(0, 5).map((b) => `    ${b.where}: ${b.reason}`);
  cb.onLog?.(
    'warn',
    `${what}: ${bad.length} row${bad.length === 1 ? '' : 's'} skipped\n${shown.join('\n')}${bad.length > 5 ? `\n    … and ${bad.length - 5} more` : ''}`,
  );
}

/** Label ids in order: the data's labels (classification, multilabel, token) or LABEL_i per regression target. */
function taskLabels(
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
async function loadStart(
  config: FinetuneConfig,
  head: Omit<TaskHead, 'labels'>,
  labels: readonly string[],
): Promise<{
  config: BertConfig;
  state: Map<string, NamedTensor>;
  tokenizer: WordPieceTokenizer;
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
function classWeightsFor(
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
function freeze(model: BertTaskModel, config: FinetuneConfig): number {
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

/** Flat eval metrics → a metrics.jsonl row (numeric columns plus the per-class detail). */
function evalRecord(
  step: number,
  epoch: number,
  time: number,
  e: TaskEvaluation,
  labels: readonly string[],
): MetricRecord {
  const rec: MetricRecord = {
    split: 'eval',
    step,
    epoch,
    time,
    loss: e.metrics.loss,
    numTensors: tf.memory().numTensors,
  };
  const r = rec as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(e.metrics)) if (k !== 'loss') r[k] = v;
  const per = perClassOf(e.detail);
  if (per.length) {
    rec.classes = per.map((p) => p.label);
    rec.classF1 = per.map((p) => p.f1);
  } else {
    rec.classes = [...labels];
  }
  if (e.detail.task === 'classification') rec.confusion = e.detail.metrics.confusion;
  return rec;
}

export async function runFinetune(
  config: FinetuneConfig,
  opts: RunFinetuneOptions,
): Promise<FinetuneSummary> {
  const cb = opts.callbacks ?? {};
  const signal = opts.control?.signal;
  const runDir = path.resolve(opts.out);
  const t0 = Date.now();
  let status: RunStatusRecord | undefined;
  let model: BertTaskModel | undefined;
  let optimizer: AdamW | undefined;
  const fail = (error: string): FinetuneSummary =>
    finish({ runDir, steps: status?.steps ?? 0, epochs: status?.epochs ?? 0, stoppedBy: 'error', error });
  try {
    cb.onPhase?.('preparing');
    // ── Run folder ────────────────────────────────────────────────────────────────────────────────
    let record: FinetuneRecord | undefined;
    if (opts.resume) {
      record = readFinetuneRecord(runDir);
      if (!record.config) {
        throw new Error(
          `${runDir} holds an imported model, not a fine-tune run: fine-tune it with --init ${runDir} --out NEW_DIR`,
        );
      }
      // The saved task, data and model define the run; stop criteria and the backend come from the caller.
      config = {
        ...record.config,
        training: {
          ...record.config.training,
          epochs: config.training.epochs,
          maxSteps: config.training.maxSteps,
          timeBudget: config.training.timeBudget,
          earlyStoppingPatience: config.training.earlyStoppingPatience,
        },
        backend: config.backend,
        threads: config.threads,
      };
    } else if (fs.existsSync(runDir)) {
      if (fs.existsSync(path.join(runDir, FINETUNE_FILE))) {
        throw new Error(
          `${runDir} already holds a fine-tune run: continue it with --resume, or choose another --out`,
        );
      }
      const entries = fs.readdirSync(runDir);
      if (entries.length)
        throw new Error(
          `${runDir} is not empty (${entries.slice(0, 3).join(', ')}): --out must be a new or empty folder`,
        );
    }
    fs.mkdirSync(runDir, { recursive: true });
    const previous = opts.resume ? readRunStatus(runDir) : undefined;
    status = {
      id: path.basename(runDir),
      createdAt: previous?.createdAt ?? new Date(t0).toISOString(),
      updatedAt: new Date().toISOString(),
      status: 'running',
      pid: process.pid,
      steps: 0,
      epochs: 0,
    };
    writeRunStatus(runDir, status);
    const threads = config.threads ?? 1;
    const backend = await initBackend({ backend: config.backend, threads });
    status.backend = backend.device ? `${backend.name} (${backend.device})` : backend.name;
    cb.onLog?.(
      'info',
      `${opts.resume ? 'resuming' : 'starting'} fine-tune run ${runDir} (backend ${status.backend})`,
    );

    // ── Data ──────────────────────────────────────────────────────────────────────────────────────
    const tc = config.task;
    const readOpts = {
      task: tc.kind,
      textColumn: tc.textColumn ?? undefined,
      textPairColumn: tc.textPairColumn ?? undefined,
      labelColumn: tc.labelColumn ?? undefined,
      labelSeparator: tc.labelSeparator,
    };
    cb.onPhase?.('reading-corpus');
    const trainData: LabelledData = await readLabelledData(tc.train, readOpts);
    logBad(cb, tc.train, trainData.bad);
    const evalData = tc.eval ? await readLabelledData(tc.eval, readOpts) : undefined;
    if (evalData) logBad(cb, tc.eval!, evalData.bad);
    if (signal?.aborted) return finish({ runDir, steps: 0, epochs: 0, stoppedBy: 'stopped' });
    const labels = record?.head.labels ?? taskLabels(config, trainData.examples, evalData?.examples ?? []);
    const split = evalData
      ? { train: trainData.examples, eval: evalData.examples }
      : stratifiedSplit(tc.kind, trainData.examples, tc.validationSplit, config.training.seed);
    const headBase = { task: tc.kind, classifierDropout: tc.classifierDropout };
    const head: TaskHead = { ...headBase, labels };
    if (tc.kind !== 'regression' && labels.length < 2 && tc.kind !== 'multilabel') {
      throw new Error(`${tc.train} has only one label (${labels.join('')}): a classifier needs at least two`);
    }

    // ── Model start, tokenizer ────────────────────────────────────────────────────────────────────
    let start: Awaited<ReturnType<typeof loadStart>> | undefined;
    let modelConfig: BertConfig;
    let tokenizer: WordPieceTokenizer;
    if (opts.resume) {
      tokenizer = await loadTokenizer(runDir);
      const ck = newestUsableCheckpoint(runDir, { clean: true });
      if (!ck)
        throw new Error(`${runDir} has no complete checkpoint to resume from: start a new run instead`);
      const parsed = parseTaskHfConfig(
        JSON.parse(fs.readFileSync(path.join(ck.dir, 'config.json'), 'utf8')),
        ck.dir,
      );
      if (!parsed)
        throw new Error(`${ck.dir}/config.json is not a task model's config: the checkpoint is damaged`);
      modelConfig = parsed.config;
    } else {
      start = await loadStart(config, headBase, labels);
      tokenizer = start.tokenizer;
      const dropout = tc.dropout;
      modelConfig = {
        ...start.config,
        ...(dropout !== null ? { hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout } : {}),
      };
      await tokenizer.save(runDir);
    }
    const maxLength = Math.min(tc.maxLength, modelConfig.maxPositionEmbeddings);
    if (maxLength < tc.maxLength) {
      cb.onLog?.(
        'info',
        `max length ${tc.maxLength} > the model's ${modelConfig.maxPositionEmbeddings} positions: using ${maxLength}`,
      );
    }
    const spec = { task: tc.kind, labels, maxLength };
    const trainSet: EncodedSet = encodeExamples(split.train, tokenizer, spec);
    const evalChecked = checkLabels(split.eval, labels);
    const evalSet: EncodedSet = encodeExamples(evalChecked.kept, tokenizer, spec);
    logBad(cb, 'training rows', trainSet.bad);
    logBad(cb, 'held-out rows', [...evalChecked.bad, ...evalSet.bad]);
    if (!trainSet.features.length) throw new Error(`no training example left after encoding ${tc.train}`);
    const truncated = trainSet.truncated + evalSet.truncated;
    cb.onLog?.(
      'info',
      `${tc.kind}: ${labels.length} ${tc.kind === 'regression' ? 'target' : 'label'}${labels.length === 1 ? '' : 's'} (${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''}); ` +
        `${trainSet.features.length} training / ${evalSet.features.length} held-out examples${evalData ? '' : ` (a stratified ${Math.round(tc.validationSplit * 100)} % split)`}; ` +
        `${truncated} truncated to ${maxLength} tokens`,
    );
    const baselineEval =
      evalSet.features.length > 0
        ? majorityBaseline(tc.kind, labels, trainSet.features, evalSet.features)
        : undefined;
    const baseline = baselineEval
      ? { prediction: baselineEval.prediction, metrics: baselineEval.metrics }
      : null;
    if (baselineEval) {
      cb.onLog?.(
        'info',
        `majority baseline (${baselineEval.prediction}): ${formatMetrics(baselineEval.metrics)}`,
      );
    } else {
      cb.onLog?.('warn', 'no held-out examples: evaluation, the best checkpoint and early stopping are off');
    }
    if (!record) {
      record = {
        format: 1,
        config,
        head,
        start: tc.fromScratch ? `from scratch (shape and tokenizer of ${tc.init})` : start!.start,
        data: {
          train: trainSet.features.length,
          eval: evalSet.features.length,
          skipped:
            trainData.bad.length +
            (evalData?.bad.length ?? 0) +
            trainSet.bad.length +
            evalSet.bad.length +
            evalChecked.bad.length,
          truncated,
        },
        baseline,
      };
      writeFileAtomic(path.join(runDir, FINETUNE_FILE), `${JSON.stringify(record, null, 2)}\n`);
    }
    cb.onLog?.(
      'info',
      `model: ${record.start}; ${modelConfig.numHiddenLayers} layers, hidden ${modelConfig.hiddenSize}`,
    );

    // ── Model and optimizer ───────────────────────────────────────────────────────────────────────
    const t = config.training;
    model = new BertTaskModel(modelConfig, head, t.seed);
    if (start && !tc.fromScratch) {
      const missing = [...model.variables.keys()].filter((n) => !start!.state.has(n));
      const allowed = missing.filter((n) => isHeadParameter(n));
      model.loadHfState(start.state, { allowMissing: allowed });
      if (allowed.length) cb.onLog?.('info', `initialised (new): ${allowed.join(', ')}`);
    }
    model.setClassWeights(classWeightsFor(config, labels, trainSet.features));
    const frozen = freeze(model, config);
    if (frozen)
      cb.onLog?.(
        'info',
        `frozen: ${frozen} encoder tensors (${tc.freezeEncoder ? 'the whole encoder' : `embeddings + the lowest ${tc.freezeLayers} layers`})`,
      );
    const adamw = {
      beta1: t.adamBeta1,
      beta2: t.adamBeta2,
      epsilon: t.adamEpsilon,
      weightDecay: t.weightDecay,
    };
    optimizer =
      tc.layerDecay !== 1
        ? new LayerwiseAdamW(model.variables, adamw, modelConfig.numHiddenLayers, tc.layerDecay)
        : new AdamW(model.variables, adamw);
    if (tc.layerDecay !== 1) {
      const low = tc.layerDecay ** (modelConfig.numHiddenLayers + 1);
      cb.onLog?.(
        'info',
        `layer-wise lr decay ${tc.layerDecay}: the embeddings train at ${low.toPrecision(3)} × lr, the head at 1 × lr`,
      );
    }

    const metric = tc.metric ?? DEFAULT_METRIC[tc.kind];
    if (!TASK_METRICS[tc.kind].includes(metric)) {
      throw new Error(`metric "${metric}" is not one of ${tc.kind}'s: ${TASK_METRICS[tc.kind].join(', ')}`);
    }
    const lower = lowerIsBetter(metric);
    const better = (a: number, b: number | null) =>
      Number.isFinite(a) && (b === null || (lower ? a < b : a > b));

    // ── Resume state ──────────────────────────────────────────────────────────────────────────────
    const n = trainSet.features.length;
    const batchesPerEpoch = Math.ceil(n / t.batchSize);
    const plan = makePlan({ ...t, gradAccumulation: 1 }, batchesPerEpoch);
    const evalEvery = tc.evalEvery ?? plan.stepsPerEpoch;
    let state: CheckpointState = emptyCheckpointState();
    let bestValue: number | null = null;
    let resumedStep: number | undefined;
    if (opts.resume) {
      const ck = newestUsableCheckpoint(runDir, { clean: true })!;
      model.loadHfState(readWeights(ck.dir));
      optimizer.setState({ step: ck.state.step, tensors: readOptimizer(ck.dir) });
      state = ck.state;
      if (state.modelRng !== null) model.setRngState(state.modelRng);
      const ts = JSON.parse(fs.readFileSync(path.join(ck.dir, TASK_STATE_FILE), 'utf8')) as TaskState;
      bestValue = ts.metric === metric ? ts.bestValue : null;
      resumedStep = state.step;
      const kept = readMetrics(runDir).filter((m) => m.step <= state.step);
      writeFileAtomic(path.join(runDir, METRICS_FILE), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
      cb.onLog?.('info', `resumed from ${ck.dir} (step ${state.step}, epoch ${state.epoch.toFixed(2)})`);
    }
    let step = state.step;
    let epoch = state.position.epoch;
    let index = state.position.index;
    let bestStep = state.bestStep;
    let bestEvalLoss = state.bestEvalLoss;
    let evalsWithoutImprovement = state.evalsWithoutImprovement;
    let order = epochOrder(n, t.seed, epoch);
    const metricsLog = new MetricsLog(runDir);
    const emit = (m: MetricRecord) => {
      metricsLog.append(m);
      cb.onMetrics?.(m);
    };
    cb.onLog?.(
      'info',
      `plan: ${plan.totalSteps ?? '∞'} steps (${plan.stepsPerEpoch} per epoch)` +
        (plan.budgetMs !== undefined ? `, time budget ${Math.round(plan.budgetMs / 1000)}s` : '') +
        `, batch ${t.batchSize}, lr ${t.lr} linear with ${Math.round(t.warmupRatio * 100)} % warmup, eval every ${evalEvery} steps, best by ${metric}`,
    );

    // ── The loop ──────────────────────────────────────────────────────────────────────────────────
    const elapsedBefore = state.elapsedMs;
    const loopStart = Date.now();
    let pausedMs = 0;
    const elapsed = () => elapsedBefore + (Date.now() - loopStart - pausedMs);
    let lastSavedStep = resumedStep ?? -1;
    let lastEvalStep = -1;
    let lastEval: TaskEvaluation | undefined;
    let bestEval: Record<string, number> | undefined;
    let lastCheckpoint: string | undefined;
    let bestCheckpoint: string | undefined;
    let nonFiniteInRow = state.nonFiniteInRow;
    let skippedSteps = state.skippedSteps;
    let trainTokens = state.trainTokens;
    let stoppedBy: StopReason | undefined;
    let error: string | undefined;
    const window = { loss: 0, acc: 0, norm: 0, n: 0, tokens: 0, start: Date.now() };
    const epochs = () => epoch + index / n;
    const evalOpts = {
      batchSize: Math.max(8, t.batchSize * 2),
      padId: tokenizer.special.pad,
      threshold: tc.threshold,
    };

    const evaluate = (): void => {
      if (!evalSet.features.length || !model) return;
      cb.onPhase?.('evaluating');
      const e = evaluateTask(model, evalSet.features, evalOpts);
      lastEvalStep = step;
      lastEval = e;
      emit(evalRecord(step, epochs(), elapsed(), e, labels));
      if (better(e.metrics[metric], bestValue)) {
        bestValue = e.metrics[metric];
        bestStep = step;
        bestEvalLoss = e.metrics.loss;
        bestEval = e.metrics;
        evalsWithoutImprovement = 0;
      } else {
        evalsWithoutImprovement++;
      }
      cb.onPhase?.('training');
    };

    const checkpoint = (): void => {
      if (!model || !optimizer || step === lastSavedStep) return;
      cb.onPhase?.('checkpointing');
      const s: CheckpointState = {
        ...emptyCheckpointState(),
        step,
        epoch: epochs(),
        position: { epoch, index },
        modelRng: model.getRngState(),
        elapsedMs: elapsed(),
        trainTokens,
        skippedSteps,
        nonFiniteInRow,
        bestEvalLoss,
        bestStep,
        evalsWithoutImprovement,
        evalLoss: lastEvalStep === step && lastEval ? lastEval.metrics.loss : null,
        evalAccuracy: lastEvalStep === step && lastEval ? (lastEval.metrics.accuracy ?? null) : null,
      };
      try {
        const saved = saveCheckpoint(runDir, {
          state: s,
          weights: model.toHfState(),
          optimizer: optimizer.getState().tensors,
          extraFiles: new Map([
            [
              'config.json',
              `${JSON.stringify(taskHfConfig(model.config, head, tokenizer.special.pad), null, 2)}\n`,
            ],
            [TASK_STATE_FILE, `${JSON.stringify({ metric, bestValue } satisfies TaskState)}\n`],
          ]),
        });
        lastSavedStep = step;
        lastCheckpoint = saved.dir;
        if (bestStep === step && bestEvalLoss !== null) {
          writeBest(runDir, step, bestEvalLoss);
          bestCheckpoint = saved.dir;
        }
        rotateCheckpoints(runDir, {
          keepLast: config.checkpoint.keepLast,
          keepBest: true,
          protect: resumedStep !== undefined ? [resumedStep] : [],
        });
        cb.onCheckpoint?.({ step, dir: saved.dir, best: bestStep === step });
      } catch (err) {
        cb.onLog?.('error', `checkpoint at step ${step} not saved: ${(err as Error).message}`);
      }
      cb.onPhase?.('training');
    };

    cb.onPhase?.('training');
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (opts.control?.waitIfPaused) {
        const p0 = Date.now();
        const paused = opts.control.isPaused?.() === true;
        if (paused) cb.onPhase?.('paused');
        await opts.control.waitIfPaused();
        pausedMs += Date.now() - p0;
        if (paused && !signal?.aborted) cb.onPhase?.('training');
      }
      if (signal?.aborted) {
        stoppedBy = 'stopped';
        break;
      }
      const limit = limitReached(plan, step, elapsed());
      if (limit) {
        stoppedBy = limit;
        break;
      }
      if (index >= n) {
        epoch++;
        index = 0;
        order = epochOrder(n, t.seed, epoch);
      }
      const rows: Feature[] = [];
      for (let i = index; i < Math.min(n, index + t.batchSize); i++) rows.push(trainSet.features[order[i]]);
      const batch = makeBatch(rows, tc.kind, labels.length, tokenizer.special.pad);
      const lr = learningRate({ step, progress: progressOf(plan, step, elapsed()) }, plan.schedule);
      const r = trainStep(model, optimizer, [batch], { lr, clipNorm: t.clipNorm });
      index += rows.length;
      const tokens = rows.reduce((s, f) => s + f.ids.length, 0);
      trainTokens += tokens;
      if (!r.applied) {
        skippedSteps++;
        nonFiniteInRow++;
        cb.onLog?.(
          'warn',
          `step ${step + 1} skipped: non-finite loss or gradient (loss ${r.loss}); ${nonFiniteInRow} in a row`,
        );
        if (nonFiniteInRow >= t.maxNonFinite) {
          stoppedBy = 'error';
          error = `training stopped at step ${step}: ${nonFiniteInRow} steps in a row had a non-finite loss or gradient; lower --lr (now ${t.lr})`;
          break;
        }
        continue;
      }
      nonFiniteInRow = 0;
      step++;
      window.loss += r.loss;
      window.acc += r.accuracy;
      window.norm += r.gradNorm;
      window.n++;
      window.tokens += tokens;
      if (step % t.logEvery === 0 || limitReached(plan, step, elapsed())) {
        const secs = (Date.now() - window.start) / 1000;
        const rec: MetricRecord = {
          split: 'train',
          step,
          epoch: epochs(),
          time: elapsed(),
          loss: window.loss / window.n,
          lr,
          gradNorm: window.norm / window.n,
          tokensPerSec: secs > 0 ? window.tokens / secs : undefined,
          numTensors: tf.memory().numTensors,
          rssBytes: process.memoryUsage().rss,
          skippedSteps,
        };
        // Training accuracy is the step's argmax accuracy: meaningful for single-label classes and tags only.
        if (tc.kind === 'classification' || tc.kind === 'token') rec.accuracy = window.acc / window.n;
        emit(rec);
        Object.assign(window, { loss: 0, acc: 0, norm: 0, n: 0, tokens: 0, start: Date.now() });
      }
      if (step % evalEvery === 0) {
        evaluate();
        checkpoint();
        if (t.earlyStoppingPatience !== null && evalsWithoutImprovement >= t.earlyStoppingPatience) {
          stoppedBy = 'early-stopping';
          cb.onLog?.(
            'info',
            `early stopping at step ${step}: ${metric} did not improve for ${evalsWithoutImprovement} evaluations (best ${bestValue?.toFixed(4)} at step ${bestStep})`,
          );
        }
      } else if (step % config.checkpoint.every === 0) {
        checkpoint();
      }
      status.steps = step;
      status.epochs = epochs();
      if (stoppedBy) break;
    }
    if (stoppedBy !== 'error' && step > 0) {
      if (lastEvalStep !== step) evaluate();
      checkpoint();
    }
    status.steps = step;
    status.epochs = epochs();
    // After a resume, the best evaluation may predate this process: read it back from metrics.jsonl.
    if (!bestEval && bestStep !== null) {
      const row = readMetrics(runDir).find((m) => m.split === 'eval' && m.step === bestStep);
      if (row)
        bestEval = Object.fromEntries(
          TASK_METRICS[tc.kind].map((k) => [k, (row as unknown as Record<string, number>)[k]]),
        );
    }
    return finish({
      runDir,
      steps: step,
      epochs: epochs(),
      stoppedBy: stoppedBy ?? 'stopped',
      error,
      task: head,
      metric,
      bestStep,
      best: bestEval,
      last: lastEval?.metrics,
      baseline: record.baseline,
      bestCheckpoint,
      lastCheckpoint,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    cb.onLog?.('error', message);
    return fail(message);
  } finally {
    optimizer?.dispose();
    model?.dispose();
  }

  function finish(s: FinetuneSummary): FinetuneSummary {
    if (status && fs.existsSync(runDir)) {
      status.status =
        s.stoppedBy === 'error' ? 'failed' : s.stoppedBy === 'stopped' ? 'stopped' : 'completed';
      status.updatedAt = new Date().toISOString();
      status.stoppedBy = s.stoppedBy;
      status.error = s.error;
      try {
        writeRunStatus(runDir, status);
      } catch (err) {
        cb.onLog?.('warn', `could not update ${runDir}/run.json: ${(err as Error).message}`);
      }
    }
    cb.onPhase?.('done', s.stoppedBy);
    return s;
  }
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
