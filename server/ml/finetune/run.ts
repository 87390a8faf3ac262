/**
 * runFinetune: one fine-tune run, top to bottom — run folder, labelled data, label set and held-out split, the
 * task model started from a pretrained checkpoint (or from scratch), the majority baseline, then pretraining's own
 * loop (server/ml/train/loop.ts) over a TaskObjective: plan and LR schedule, the gradient step with clipping and the
 * NaN guard, AdamW, evaluation, the best checkpoint on a chosen metric, early stopping, a time budget, exact resume.
 * Reports through callbacks and never throws: failures come back as { stoppedBy: 'error', error }.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backend';
import {
  readMetrics,
  writeFileAtomic,
  startRunStatus,
  finishRunStatus,
  emptyCheckpointState,
  type RunStatusRecord,
} from '../checkpoint';
import { AdamW } from '../train/adamw';
import { runCompute } from '../train/flops';
import { trainLoop } from '../train/loop';
import { restoreCheckpoint } from '../train/prepareRun';
import { makePlan } from '../train/plan';
import { resumeConfig } from '../train/resumeConfig';
import type { SpawnReplica } from '../train/parallel/messages';
import type { StopReason } from '../train/summary';
import type { MetricRecord, TrainCallbacks, TrainControl } from '../types';
import type { FinetuneConfig } from './config';
import { DEFAULT_METRIC, TASK_METRICS } from './evaluate';
import {
  classWeightsFor,
  encodeSplits,
  freeze,
  logBad,
  loopConfig,
  modelStart,
  makeOptimizer,
  taskLabels,
} from './setup';
import { stratifiedSplit } from './labels';
import { BertTaskModel, isHeadParameter, type TaskHead } from './model';
import { TaskObjective } from './objective';
import { readLabelledData, type LabelledData } from './reader';
import { FINETUNE_FILE, readFinetuneRecord, type FinetuneRecord } from './taskFolder';

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
  /** Starts a data-parallel replica thread (server/worker/replicas.ts); without it training stays on one thread. */
  spawnReplica?: SpawnReplica;
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
      config = resumeConfig(record.config, config);
    } else if (fs.existsSync(runDir)) {
      if (fs.existsSync(path.join(runDir, FINETUNE_FILE))) {
        throw new Error(
          `${runDir} already holds a fine-tune run: continue it with --resume, or choose another --out`,
        );
      }
      // Hidden files (the server's run-folder lock, .lock) do not make a folder a run.
      const entries = fs.readdirSync(runDir).filter((e) => !e.startsWith('.'));
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
    const { start, modelConfig, tokenizer } = await modelStart(
      config,
      runDir,
      !!opts.resume,
      headBase,
      labels,
    );
    const maxLength = Math.min(tc.maxLength, modelConfig.maxPositionEmbeddings);
    if (maxLength < tc.maxLength) {
      cb.onLog?.(
        'info',
        `max length ${tc.maxLength} > the model's ${modelConfig.maxPositionEmbeddings} positions: using ${maxLength}`,
      );
    }
    const { trainSet, evalSet, skipped, truncated, baseline } = encodeSplits(
      tc,
      split,
      labels,
      tokenizer,
      maxLength,
      cb,
    );
    if (!record) {
      record = {
        format: 1,
        config,
        head,
        start: tc.fromScratch ? `from scratch (shape and tokenizer of ${tc.init})` : start!.start,
        data: {
          train: trainSet.features.length,
          eval: evalSet.features.length,
          skipped: trainData.bad.length + (evalData?.bad.length ?? 0) + skipped,
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
    optimizer = makeOptimizer(model, config, cb);

    const metric = tc.metric ?? DEFAULT_METRIC[tc.kind];
    if (!TASK_METRICS[tc.kind].includes(metric)) {
      throw new Error(`metric "${metric}" is not one of ${tc.kind}'s: ${TASK_METRICS[tc.kind].join(', ')}`);
    }

    // ── Loop state: new, or the newest checkpoint's on resume ──────────────────────────────────────
    const { state, resumed } = opts.resume
      ? restoreCheckpoint(runDir, model, optimizer, cb)
      : { state: emptyCheckpointState(), resumed: undefined };
    const objective = new TaskObjective(
      model,
      trainSet.features,
      evalSet.features,
      {
        batchSize: t.batchSize,
        seed: t.seed,
        padId: tokenizer.special.pad,
        threshold: tc.threshold,
        metric,
        dataParallel: t.dataParallel,
      },
      state.position,
    );
    const stepsPerEpoch = makePlan(t, objective.batchesPerEpoch).stepsPerEpoch;
    const runConfig = loopConfig(config, maxLength, tc.evalEvery ?? stepsPerEpoch);
    const plan = makePlan(runConfig.training, objective.batchesPerEpoch);
    const compute = await runCompute(model.config, { seqLen: maxLength, targetFraction: 0 }, cb.onLog);
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
      { callbacks: cb, control: opts.control, t0, spawnReplica: opts.spawnReplica },
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
