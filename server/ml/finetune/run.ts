/**
 * runFinetune: one fine-tune run, top to bottom — run folder, labelled data, label set and held-out split, the
 * task model started from a pretrained checkpoint (or from scratch), the majority baseline, then pretraining's own
 * loop (server/ml/train/loop.ts) over a TaskObjective: plan and LR schedule, the gradient step with clipping and the
 * NaN guard, AdamW, evaluation, the best checkpoint on a chosen metric, early stopping, a time budget, exact resume.
 * Reports through callbacks and never throws: failures come back as { stoppedBy: 'error', error }.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { initBackend } from '../backend';
import {
  newestUsableCheckpoint,
  readMetrics,
  readOptimizer,
  readWeights,
  writeFileAtomic,
  startRunStatus,
  finishRunStatus,
  METRICS_FILE,
  emptyCheckpointState,
  type CheckpointState,
  type RunStatusRecord,
} from '../checkpoint';
import { loadInitCheckpoint } from '../hf/importHf';
import { loadTokenizer, type WordPieceTokenizer } from '../tokenizer';
import { AdamW } from '../train/adamw';
import { runCompute } from '../train/flops';
import { trainLoop, type LoopRun } from '../train/loop';
import { makePlan } from '../train/plan';
import type { StopReason } from '../train/summary';
import type { BertConfig, MetricRecord, NamedTensor, TrainCallbacks, TrainControl } from '../types';
import type { FinetuneConfig } from './config';
import { DEFAULT_METRIC, majorityBaseline, TASK_METRICS } from './evaluate';
import { encodeExamples, type EncodedSet, type Feature } from './features';
import { checkLabels, labelSet, stratifiedSplit } from './labels';
import { LayerwiseAdamW } from './layerwise';
import { BertTaskModel, isHeadParameter, POOLER, type TaskBatch, type TaskHead } from './model';
import { TaskObjective } from './objective';
import { readLabelledData, type LabelledData } from './reader';
import {
  FINETUNE_FILE,
  isTaskModelFolder,
  loadTaskModelFolder,
  parseTaskHfConfig,
  readNamedTensors,
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
    status = startRunStatus(runDir, path.basename(runDir), t0, !!opts.resume);
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

    // ── Loop state: new, or the newest checkpoint's on resume ──────────────────────────────────────
    let state: CheckpointState = emptyCheckpointState();
    let resumed: LoopRun<TaskBatch>['resumed'];
    if (opts.resume) {
      const ck = newestUsableCheckpoint(runDir, { clean: true })!;
      model.loadHfState(readWeights(ck.dir));
      optimizer.setState({ step: ck.state.step, tensors: readOptimizer(ck.dir) });
      state = ck.state;
      if (state.modelRng !== null) model.setRngState(state.modelRng);
      // Metrics logged after this checkpoint by the interrupted process are replayed again.
      const kept = readMetrics(runDir).filter((m) => m.step <= state.step);
      writeFileAtomic(path.join(runDir, METRICS_FILE), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
      resumed = {
        step: state.step,
        bestEval: kept.find((m) => m.split === 'eval' && m.step === state.bestStep),
      };
      cb.onLog?.('info', `resumed from ${ck.dir} (step ${state.step}, epoch ${state.epoch.toFixed(2)})`);
    }
    const objective = new TaskObjective(
      model,
      trainSet.features,
      evalSet.features,
      { batchSize: t.batchSize, seed: t.seed, padId: tokenizer.special.pad, threshold: tc.threshold, metric },
      state.position,
    );
    const stepsPerEpoch = makePlan(t, objective.batchesPerEpoch).stepsPerEpoch;
    const runConfig = loopConfig(config, maxLength, tc.evalEvery ?? stepsPerEpoch);
    const plan = makePlan(runConfig.training, objective.batchesPerEpoch);
    const compute = runCompute(model.config, { seqLen: maxLength, targetFraction: 0 }, cb.onLog);
    cb.onLog?.(
      'info',
      `plan: ${plan.totalSteps ?? '∞'} steps (${plan.stepsPerEpoch} per epoch)` +
        (plan.budgetMs !== undefined ? `, time budget ${Math.round(plan.budgetMs / 1000)}s` : '') +
        `, batch ${t.batchSize}, lr ${t.lr} linear with ${Math.round(t.warmupRatio * 100)} % warmup, ` +
        `eval every ${runConfig.training.evalEvery} steps, best by ${metric}`,
    );

    // ── The trainer's loop ────────────────────────────────────────────────────────────────────────
    const outcome = await trainLoop(
      { runDir, config: runConfig, status, optimizer, objective, plan, compute, state, resumed },
      { callbacks: cb, control: opts.control, t0 },
    );
    const evals = readMetrics(runDir).filter((m) => m.split === 'eval');
    const pick = (row: MetricRecord | undefined) =>
      row
        ? Object.fromEntries(
            TASK_METRICS[tc.kind].map((k) => [k, (row as unknown as Record<string, number>)[k]]),
          )
        : undefined;
    return finish({
      runDir,
      steps: state.step,
      epochs: objective.epochs,
      stoppedBy: outcome.stoppedBy,
      error: outcome.error,
      task: head,
      metric,
      bestStep: state.bestStep,
      best: pick(evals.find((m) => m.step === state.bestStep)),
      last: pick(evals.at(-1)),
      baseline: record.baseline,
      bestCheckpoint: outcome.bestCheckpoint,
      lastCheckpoint: outcome.lastCheckpoint,
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
      const failed = finishRunStatus(runDir, status, { stoppedBy: s.stoppedBy, error: s.error });
      if (failed) cb.onLog?.('warn', failed);
    }
    cb.onPhase?.('done', s.stoppedBy);
    return s;
  }
}

/**
 * The run config the trainer's loop reads: the fine-tune run's training and checkpoint sections, evaluation every
 * `evalEvery` steps, the best checkpoint always kept, and the max length as the sequence length (for FLOPs).
 */
function loopConfig(c: FinetuneConfig, maxLength: number, evalEvery: number): ResolvedRunConfig {
  const base = parseRunConfig({});
  if (!base.ok) throw new Error(`the default run config is invalid: ${base.errors.join('; ')}`);
  return {
    ...base.config,
    data: { ...base.config.data, seqLen: maxLength },
    training: { ...c.training, gradAccumulation: 1, evalEvery },
    checkpoint: { ...c.checkpoint, keepBest: true },
    backend: c.backend,
    threads: c.threads,
  };
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
