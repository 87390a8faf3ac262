/**
 * prepareRun: everything a training run needs before its first step, for a new run or a resume — the run folder
 * and its status, the backend, corpus, tokenizer and examples, the model and optimizer, the objective (MLM), the
 * plan, and the loop state: the empty CheckpointState for a new run, the newest complete checkpoint's state
 * (weights, optimizer moments and dropout stream loaded) for a resume.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { initBackend } from '../backend';
import { wasmAborted } from '../backend/wasmHeap';
import { memoryRefusal, planRunMemory, type MemoryPlan } from './memory';
import {
  checkpointModelConfig,
  emptyCheckpointState,
  METRICS_FILE,
  newestUsableCheckpoint,
  newRunFolder,
  readMetrics,
  readOptimizer,
  readResolvedRunConfig,
  readWeights,
  writeFileAtomic,
  writeRunConfig,
  startRunStatus,
  type CheckpointState,
  type RunStatusRecord,
} from '../checkpoint';
import { constantPredictionAccuracy, mostFrequentToken } from '../evaluate';
import { prepareModelInit } from '../hf/modelInit';
import { createModel } from '../model';
import { loadTokenizer } from '../tokenizer';
import type { MetricRecord, MlmModel, TrainCallbacks, TrainControl } from '../types';
import { AdamW } from './adamw';
import { runCompute, type RunCompute } from './flops';
import { MlmObjective } from './mlmObjective';
import type { TrainableModel } from './objective';
import { modelConfigFor } from './modelConfig';
import type { SpawnReplica } from './parallel/messages';
import { trainingThreads } from './parallel/threads';
import { makePlan, type TrainPlan } from './plan';
import { initOutputBiasToPrior } from './priorBias';
import { buildDatasets, prepareTokenizer, readCorpus } from './prepare';
import { resumeConfig } from './resumeConfig';

export interface RunTrainingOptions {
  /** Workspace root: corpus globs resolve against it; runs go to <cwd>/.mlm/runs unless config.output.dir. */
  cwd: string;
  callbacks?: TrainCallbacks;
  control?: TrainControl;
  /** A run folder to continue from its newest complete checkpoint. */
  resumeFrom?: string;
  /** A new run's folder, already made by newRunFolder (the server makes it so mlm/train can answer at once). */
  runDir?: string;
  /** Run id (folder name) chosen by the caller when runDir is not given; default newRunId(config). */
  runId?: string;
  /** Pre-indexed corpus files (absolute or relative to cwd); globs still filter them. */
  corpusFiles?: string[];
  /** Starts a data-parallel replica thread (server/worker/replicas.ts); without it training stays on one thread. */
  spawnReplica?: SpawnReplica;
}

/** A run's folder and its run.json record, open for writing. */
export interface RunFolder {
  runId: string;
  runDir: string;
  /** The run's effective config (on resume: the saved one with the caller's stop criteria, see train/resumeConfig.ts). */
  config: ResolvedRunConfig;
  status: RunStatusRecord;
  resuming: boolean;
}

export interface PreparedRun extends RunFolder {
  model: MlmModel;
  optimizer: AdamW;
  objective: MlmObjective;
  plan: TrainPlan;
  compute: RunCompute;
  /** The loop's state: what every checkpoint saves and a resume loads. */
  state: CheckpointState;
  /** The step a resume started from (its checkpoint is never rotated away) and that step's eval row. */
  resumed?: { step: number; bestEval?: MetricRecord };
  /** Held-out accuracy of always predicting the most frequent training token (undefined without held-out data). */
  baselineAccuracy?: number;
  /** The memory plan: replicas, passes per micro-batch, the estimate (train/memory.ts). */
  memory: MemoryPlan;
}

/** Opens the run's folder (new, given, or resumed), writes its config and a "running" run.json. */
export function openRunFolder(config: ResolvedRunConfig, opts: RunTrainingOptions, t0: number): RunFolder {
  let runId: string;
  let runDir: string;
  if (opts.resumeFrom) {
    runDir = path.resolve(opts.cwd, opts.resumeFrom);
    runId = path.basename(runDir);
    config = resumeConfig(readResolvedRunConfig(runDir), config);
  } else if (opts.runDir) {
    runDir = opts.runDir;
    runId = path.basename(runDir);
  } else {
    ({ runId, runDir } = newRunFolder(config, opts.cwd, opts.runId));
  }
  writeRunConfig(runDir, config);
  const status = startRunStatus(runDir, runId, t0, !!opts.resumeFrom);
  opts.callbacks?.onLog?.('info', `${opts.resumeFrom ? 'resuming' : 'starting'} run ${runId} in ${runDir}`);
  return { runId, runDir, config, status, resuming: !!opts.resumeFrom };
}

/** Prepares the run in `folder`; undefined when stopped (aborted) during preparation. */
export async function prepareRun(
  folder: RunFolder,
  opts: RunTrainingOptions,
): Promise<PreparedRun | undefined> {
  const { config, runDir, status } = folder;
  const cb = opts.callbacks ?? {};
  const signal = opts.control?.signal;
  const resuming = folder.resuming;

  const backend = await initBackend({ backend: config.backend, threads: trainingThreads(config) });
  status.backend = backend.device ? `${backend.name} (${backend.device})` : backend.name;
  cb.onLog?.('info', `backend: ${status.backend}`);
  for (const r of backend.reasons) cb.onLog?.('info', `not using ${r}`);
  // A config that cannot fit is refused before the corpus is read (the vocabulary's size is the asked one).
  if (!config.model.init && !resuming && !config.tokenizer.path) {
    const early = planRunMemory(config, modelConfigFor(config, config.tokenizer.vocabSize));
    if (!early.estimate.fits)
      throw memoryRefusal(early.estimate, { preset: config.model.preset, seqLen: config.data.seqLen });
  }

  // ── Data and tokenizer ──────────────────────────────────────────────────────────────────────────────
  const docs = await readCorpus(config, opts.cwd, cb, opts.corpusFiles, signal);
  if (signal?.aborted) return undefined;
  // Transfer learning: model.init's checkpoint brings its own tokenizer and model shape (server/ml/hf).
  const init =
    config.model.init && !resuming
      ? await prepareModelInit(config.model.init, {
          cwd: opts.cwd,
          dropout: config.model.dropout,
          onLog: cb.onLog,
        })
      : undefined;
  const tokenizer = resuming
    ? await loadTokenizer(runDir)
    : (init?.tokenizer ?? (await prepareTokenizer(config, opts.cwd, docs, cb)));
  if (!resuming) await tokenizer.save(runDir);
  const data = buildDatasets(config, tokenizer, docs, cb);
  if (signal?.aborted) return undefined;

  // ── Model, optimizer, state ─────────────────────────────────────────────────────────────────────────
  const t = config.training;
  // A run started from model.init keeps the checkpoint's shape: on resume it is read from the checkpoint.
  const resumeInit = resuming && config.model.init ? newestUsableCheckpoint(runDir) : undefined;
  const modelConfig =
    init?.config ??
    (resumeInit
      ? checkpointModelConfig(resumeInit.dir, config, tokenizer.vocabSize)
      : modelConfigFor(config, tokenizer.vocabSize));
  if (config.data.seqLen > modelConfig.maxPositionEmbeddings) {
    throw new Error(
      `data.seqLen (${config.data.seqLen}) exceeds the model's ${modelConfig.maxPositionEmbeddings} positions: lower data.seqLen or raise model.overrides.maxPositionEmbeddings`,
    );
  }
  const model = init ? init.createModel(t.seed) : createModel(modelConfig, { seed: t.seed });
  const optimizer = new AdamW(model.variables, {
    beta1: t.adamBeta1,
    beta2: t.adamBeta2,
    epsilon: t.adamEpsilon,
    weightDecay: t.weightDecay,
  });
  try {
    // The loop's state: the checkpoint's on resume (with its weights, moments and dropout stream), else the empty one.
    const { state, resumed }: Restored = resuming
      ? restoreCheckpoint(runDir, model, optimizer, cb)
      : { state: emptyCheckpointState() };
    // A fresh model starts from the unigram prior (model.init keeps its own).
    if (!resuming && !init) initOutputBiasToPrior(model, data.train, tokenizer.special);

    const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
    const objective = new MlmObjective(model, config, data, vocab, state.position);
    let baselineAccuracy: number | undefined;
    if (objective.evalSet.length) {
      const baselineToken = mostFrequentToken(data.train, tokenizer.special);
      baselineAccuracy = constantPredictionAccuracy(objective.evalSet, baselineToken);
      status.baselineAccuracy = baselineAccuracy;
      cb.onLog?.(
        'info',
        `unigram baseline (always "${tokenizer.idToToken(baselineToken)}"): held-out accuracy ${(baselineAccuracy * 100).toFixed(2)}%`,
      );
    } else {
      cb.onLog?.(
        'warn',
        'no held-out examples: evaluation and early stopping are off (data.validationSplit is 0?)',
      );
    }
    const plan = makePlan(t, objective.batchesPerEpoch);
    // MFU: this model's training FLOPs per token against the backend's matMul peak, measured once per process.
    const compute = await runCompute(
      model.config,
      { seqLen: config.data.seqLen, targetFraction: config.data.masking.probability },
      cb.onLog,
    );
    cb.onLog?.(
      'info',
      `plan: ${plan.totalSteps ?? '∞'} steps (${plan.stepsPerEpoch} per epoch)` +
        (plan.budgetMs !== undefined ? `, time budget ${Math.round(plan.budgetMs / 1000)}s` : '') +
        `, batch ${t.batchSize}×${t.gradAccumulation}, lr ${t.lr} ${t.schedule}`,
    );
    // Memory: the estimate before the first step, fewer rows per pass (or replicas) to fit, else a refusal.
    const memory = planRunMemory(config, model.config);
    cb.onLog?.('info', memory.estimate.summary);
    cb.onMemory?.(memory.estimate);
    status.memory = memory.estimate;
    if (!memory.estimate.fits)
      throw memoryRefusal(memory.estimate, { preset: config.model.preset, seqLen: config.data.seqLen });
    if (memory.adjusted) cb.onLog?.('warn', memory.adjusted);
    return {
      ...folder,
      model,
      optimizer,
      objective,
      plan,
      compute,
      state,
      resumed,
      baselineAccuracy,
      memory,
    };
  } catch (err) {
    // After a wasm abort nothing may call into the module (a threaded one's locks may never be released).
    if (!wasmAborted(err)) {
      optimizer.dispose();
      model.dispose();
    }
    throw err;
  }
}

interface Restored {
  state: CheckpointState;
  resumed?: PreparedRun['resumed'];
}

/**
 * Loads a run's newest complete checkpoint into `model` and `optimizer` (weights, moments, dropout stream) and
 * returns its state, the loop's state to continue from; metrics logged after it are dropped (they are replayed).
 * Any objective's prepare calls this on resume.
 */
export function restoreCheckpoint(
  runDir: string,
  model: TrainableModel,
  optimizer: AdamW,
  cb: TrainCallbacks,
): Restored {
  const ck = newestUsableCheckpoint(runDir, { clean: true });
  if (!ck) throw new Error(`${runDir} has no complete checkpoint to resume from: start a new run instead`);
  model.loadHfState(readWeights(ck.dir));
  optimizer.setState({ step: ck.state.step, tensors: readOptimizer(ck.dir) });
  const state = ck.state;
  if (state.modelRng !== null) model.setRngState?.(state.modelRng);
  // Metrics logged after this checkpoint by the interrupted process are replayed again.
  const kept = readMetrics(runDir).filter((m) => m.step <= state.step);
  writeFileAtomic(path.join(runDir, METRICS_FILE), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  cb.onLog?.('info', `resumed from ${ck.dir} (step ${state.step}, epoch ${state.epoch.toFixed(2)})`);
  return {
    state,
    resumed: {
      step: state.step,
      bestEval: kept.find((m) => m.split === 'eval' && m.step === state.bestStep),
    },
  };
}

/** True when the folder exists (a run that failed before its folder was made has nothing to update). */
export const folderExists = (f: RunFolder | undefined): f is RunFolder => !!f && fs.existsSync(f.runDir);
