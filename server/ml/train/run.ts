/**
 * runTraining: one complete training run, top to bottom — run folder, corpus, tokenizer, examples,
 * model, optimizer, (resume), the step loop with evaluation, early stopping, checkpoints and the
 * NaN/Inf guard, then a summary. It reports only through callbacks and never throws: failures come
 * back as { stoppedBy: 'error', error }.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { initBackend } from '../backend';
import {
  CHECKPOINT_MODEL_CONFIG,
  checkpointModelConfig,
  createRunDir,
  defaultRunsRoot,
  METRICS_FILE,
  MetricsLog,
  newestUsableCheckpoint,
  newRunId,
  readMetrics,
  readOptimizer,
  readResolvedRunConfig,
  readRunStatus,
  readWeights,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
  writeRunConfig,
  writeRunStatus,
  type CheckpointState,
  type RunStatusRecord,
} from '../checkpoint';
import { writeFileAtomic } from '../checkpoint/atomic';
import { addMaskCounts, emptyMaskCounts, maskingRates, type MaskCounts } from '../data/masking';
import { evalBatches, TrainStream, type DataPosition } from '../data/stream';
import { prepareModelInit } from '../hf/modelInit';
import { constantPredictionAccuracy, evaluateBatches, mostFrequentToken } from '../evaluate';
import { createModel, toHfConfig } from '../model';
import { loadTokenizer } from '../tokenizer';
import type { MetricRecord, MlmBatch, MlmModel, TrainCallbacks, TrainControl } from '../types';
import { AdamW } from './adamw';
import { runCompute, utilisation } from './flops';
import { modelConfigFor } from './modelConfig';
import { initOutputBiasToPrior } from './priorBias';
import { limitReached, makePlan, progressOf } from './plan';
import { buildDatasets, prepareTokenizer, readCorpus } from './prepare';
import { learningRate } from './schedule';
import { trainStep } from './step';
import { defaultTrainingThreads, startDataParallel, type ReplicaPool } from './parallel';
import { wasmAborted } from '../backend/wasmHeap';
import {
  computeFailureOf,
  describeComputeFailure,
  MemoryBackoff,
  memoryRefusal,
  planRunMemory,
  type MemoryPlan,
} from './memory';
import type { RunSummary, StopReason } from './summary';

export type { RunSummary, StopReason, MaskingRates } from './summary';
export { newRunId } from '../checkpoint/runDir';

export interface RunTrainingOptions {
  /** Workspace root: corpus globs resolve against it; runs go to <cwd>/.mlm/runs unless config.output.dir. */
  cwd: string;
  callbacks?: TrainCallbacks;
  control?: TrainControl;
  /** A run folder to continue from its newest complete checkpoint. */
  resumeFrom?: string;
  /** Run id (folder name) chosen by the caller; default newRunId(config). Ignored with resumeFrom. */
  runId?: string;
  /** Pre-indexed corpus files (absolute or relative to cwd); globs still filter them. */
  corpusFiles?: string[];
}

/** Model extras the trainer uses when present (dropout stream state for exact resume). */
interface RngModel {
  getRngState?(): number;
  setRngState?(s: number): void;
}

/**
 * On resume the run's saved config defines the model and the data (corpus, tokenizer, model, data,
 * seed); stop criteria, evaluation, checkpointing and the backend come from the caller's config.
 */
function resumeConfig(saved: ResolvedRunConfig, asked: ResolvedRunConfig): ResolvedRunConfig {
  const t = asked.training;
  return {
    ...saved,
    training: {
      ...saved.training,
      maxSteps: t.maxSteps,
      epochs: t.epochs,
      timeBudget: t.timeBudget,
      evalEvery: t.evalEvery,
      evalBatches: t.evalBatches,
      earlyStoppingPatience: t.earlyStoppingPatience,
      maxNonFinite: t.maxNonFinite,
      logEvery: t.logEvery,
      dataParallel: t.dataParallel,
    },
    checkpoint: asked.checkpoint,
    backend: asked.backend,
    threads: asked.threads,
  };
}

/** The realised masking rates as MetricRecord fields (the target count stays in the run summary). */
function trainMaskingRates(
  c: MaskCounts,
): Pick<MetricRecord, 'targetRate' | 'maskRate' | 'randomRate' | 'keepRate'> {
  const { targetRate, maskRate, randomRate, keepRate } = maskingRates(c);
  return { targetRate, maskRate, randomRate, keepRate };
}

export async function runTraining(config: ResolvedRunConfig, opts: RunTrainingOptions): Promise<RunSummary> {
  const cb = opts.callbacks ?? {};
  const signal = opts.control?.signal;
  const t0 = Date.now();
  let runId = '';
  let runDir = '';
  let status: RunStatusRecord | undefined;
  let model: MlmModel | undefined;
  let optimizer: AdamW | undefined;
  let replicas: ReplicaPool | null | undefined; // training.dataParallel > 1: started at the first step
  let memory: MemoryPlan | undefined;
  let maskCounts: MaskCounts = emptyMaskCounts();
  const summary = (s: Partial<RunSummary> & { stoppedBy: StopReason }): RunSummary => ({
    runId,
    runDir,
    steps: 0,
    epochs: 0,
    maskingRates: maskingRates(maskCounts),
    ...s,
  });

  try {
    cb.onPhase?.('preparing');
    // ── Run folder ────────────────────────────────────────────────────────────────────────────────
    if (opts.resumeFrom) {
      runDir = path.resolve(opts.cwd, opts.resumeFrom);
      runId = path.basename(runDir);
      config = resumeConfig(readResolvedRunConfig(runDir), config);
    } else {
      const root = config.output.dir ? path.resolve(opts.cwd, config.output.dir) : defaultRunsRoot(opts.cwd);
      if (opts.runId) {
        runId = opts.runId;
        runDir = path.join(root, runId);
        if (fs.existsSync(path.join(runDir, 'config.json'))) {
          throw new Error(`run ${runId} already exists in ${root}: pick another run id or resume it`);
        }
        fs.mkdirSync(runDir, { recursive: true });
      } else {
        ({ runId, runDir } = createRunDir(root, newRunId(config)));
      }
    }
    writeRunConfig(runDir, config);
    const previous = opts.resumeFrom ? readRunStatus(runDir) : undefined;
    status = {
      id: runId,
      createdAt: previous?.createdAt ?? new Date(t0).toISOString(),
      updatedAt: new Date().toISOString(),
      status: 'running',
      pid: process.pid,
      steps: 0,
      epochs: 0,
    };
    writeRunStatus(runDir, status);
    cb.onLog?.('info', `${opts.resumeFrom ? 'resuming' : 'starting'} run ${runId} in ${runDir}`);

    // ── Backend, data, tokenizer ──────────────────────────────────────────────────────────────────
    // Data-parallel replicas each run single-threaded wasm; so does the leader unless threads is set
    // ("auto" too: measured, 2 replicas on 1 thread each beat the threaded binary on 2 threads).
    const threads = config.threads ?? defaultTrainingThreads(config.training);
    const backend = await initBackend({ backend: config.backend, threads });
    status.backend = backend.device ? `${backend.name} (${backend.device})` : backend.name;
    cb.onLog?.('info', `backend: ${status.backend}`);
    for (const r of backend.reasons) cb.onLog?.('info', `not using ${r}`);
    // A config that cannot fit is refused before the corpus is read (the vocabulary's size is the asked one).
    if (!config.model.init && !opts.resumeFrom && !config.tokenizer.path) {
      const early = planRunMemory(config, modelConfigFor(config, config.tokenizer.vocabSize));
      if (!early.estimate.fits)
        throw memoryRefusal(early.estimate, { preset: config.model.preset, seqLen: config.data.seqLen });
    }

    const docs = await readCorpus(config, opts.cwd, cb, opts.corpusFiles, signal);
    if (signal?.aborted) return finish(summary({ stoppedBy: 'stopped' }));
    // Transfer learning: model.init's checkpoint brings its own tokenizer and model shape (server/ml/hf).
    const init =
      config.model.init && !opts.resumeFrom
        ? await prepareModelInit(config.model.init, {
            cwd: opts.cwd,
            dropout: config.model.dropout,
            onLog: cb.onLog,
          })
        : undefined;
    const tokenizer = opts.resumeFrom
      ? await loadTokenizer(runDir)
      : (init?.tokenizer ?? (await prepareTokenizer(config, opts.cwd, docs, cb)));
    if (!opts.resumeFrom) await tokenizer.save(runDir);
    const data = buildDatasets(config, tokenizer, docs, cb);
    if (signal?.aborted) return finish(summary({ stoppedBy: 'stopped' }));

    const t = config.training;
    const vocab = { vocabSize: tokenizer.vocabSize, special: tokenizer.special };
    const evalSet: MlmBatch[] = evalBatches(
      data.validation,
      t.batchSize,
      config.data.masking,
      vocab,
      t.evalBatches,
    );
    const baselineToken = mostFrequentToken(data.train, tokenizer.special);
    const baselineAccuracy = constantPredictionAccuracy(evalSet, baselineToken);
    if (evalSet.length) {
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

    // ── Model and optimizer ───────────────────────────────────────────────────────────────────────
    // A run started from model.init keeps the checkpoint's shape: on resume it is read from the checkpoint.
    const resumeInit = opts.resumeFrom && config.model.init ? newestUsableCheckpoint(runDir) : undefined;
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
    model = init ? init.createModel(t.seed) : createModel(modelConfig, { seed: t.seed });
    // A fresh model starts from the unigram prior (a resume loads its weights below; model.init keeps its own).
    if (!init && !opts.resumeFrom) initOutputBiasToPrior(model, data.train, tokenizer.special);
    optimizer = new AdamW(model.variables, {
      beta1: t.adamBeta1,
      beta2: t.adamBeta2,
      epsilon: t.adamEpsilon,
      weightDecay: t.weightDecay,
    });

    let step = 0;
    let position: DataPosition = { epoch: 0, index: 0 };
    let elapsedBefore = 0;
    let trainTokens = 0;
    let skippedSteps = 0;
    let nonFiniteInRow = 0;
    let bestEvalLoss: number | null = null;
    let bestStep: number | null = null;
    let evalsWithoutImprovement = 0;
    let resumedStep: number | undefined;
    let resumedBestEval: MetricRecord | undefined;
    if (opts.resumeFrom) {
      const ck = newestUsableCheckpoint(runDir, { clean: true });
      if (!ck)
        throw new Error(`${runDir} has no complete checkpoint to resume from: start a new run instead`);
      model.loadHfState(readWeights(ck.dir));
      optimizer.setState({ step: ck.state.step, tensors: readOptimizer(ck.dir) });
      const s = ck.state;
      step = s.step;
      position = s.position;
      elapsedBefore = s.elapsedMs;
      trainTokens = s.trainTokens;
      maskCounts = s.maskCounts;
      skippedSteps = s.skippedSteps;
      nonFiniteInRow = s.nonFiniteInRow;
      bestEvalLoss = s.bestEvalLoss;
      bestStep = s.bestStep;
      evalsWithoutImprovement = s.evalsWithoutImprovement;
      if (s.modelRng !== null) (model as RngModel).setRngState?.(s.modelRng);
      resumedStep = step;
      // Metrics logged after this checkpoint by the interrupted process are replayed again below.
      const kept = readMetrics(runDir).filter((m) => m.step <= step);
      writeFileAtomic(path.join(runDir, METRICS_FILE), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
      resumedBestEval = kept.find((m) => m.split === 'eval' && m.step === bestStep);
      cb.onLog?.('info', `resumed from ${ck.dir} (step ${step}, epoch ${s.epoch.toFixed(2)})`);
    }

    const stream = new TrainStream(data.train, t.batchSize, t.seed, config.data.masking, vocab, position);
    const plan = makePlan(t, stream.batchesPerEpoch);
    // MFU: this model's training FLOPs per token against the backend's matMul peak, measured here once per process.
    const compute = runCompute(
      model.config,
      { seqLen: config.data.seqLen, targetFraction: config.data.masking.probability },
      cb.onLog,
    );
    // Memory: the estimate before the first step, fewer rows per pass (or replicas) to fit, else a refusal.
    const stepFlops = compute.flopsPerToken * t.batchSize * config.data.seqLen;
    memory = planRunMemory(config, model.config);
    cb.onLog?.('info', memory.estimate.summary);
    cb.onMemory?.(memory.estimate);
    status.memory = memory.estimate;
    if (!memory.estimate.fits)
      throw memoryRefusal(memory.estimate, { preset: config.model.preset, seqLen: config.data.seqLen });
    if (memory.adjusted) cb.onLog?.('warn', memory.adjusted);
    const backoff = new MemoryBackoff(memory.chunks, Math.ceil(t.batchSize / memory.replicas), cb.onLog);
    const metrics = new MetricsLog(runDir);
    const emit = (m: MetricRecord) => {
      metrics.append(m);
      cb.onMetrics?.(m);
    };
    cb.onLog?.(
      'info',
      `plan: ${plan.totalSteps ?? '∞'} steps (${plan.stepsPerEpoch} per epoch)` +
        (plan.budgetMs !== undefined ? `, time budget ${Math.round(plan.budgetMs / 1000)}s` : '') +
        `, batch ${t.batchSize}×${t.gradAccumulation}, lr ${t.lr} ${t.schedule}`,
    );

    // ── The loop ──────────────────────────────────────────────────────────────────────────────────
    let bestEval: MetricRecord | undefined = resumedBestEval;
    let lastTrain: MetricRecord | undefined;
    let lastCheckpoint: string | undefined;
    let bestCheckpoint: string | undefined;
    let lastEvalStep = -1;
    let lastSavedStep = resumedStep ?? -1;
    let lastEval: MetricRecord | undefined;
    let pausedMs = 0;
    let lastSaveError: string | undefined;
    // Metric times continue across a resume (so charts stay monotonic).
    const timeOf = () => elapsedBefore + (Date.now() - t0);
    const loopStart = Date.now();
    const elapsed = () => elapsedBefore + (Date.now() - loopStart - pausedMs);
    const window = { loss: 0, acc: 0, norm: 0, n: 0, tokens: 0, start: Date.now() };
    let stoppedBy: StopReason | undefined;
    let error: string | undefined;

    const evaluate = (): MetricRecord | undefined => {
      if (!evalSet.length || !model) return undefined;
      cb.onPhase?.('evaluating');
      const r = evaluateBatches(model, evalSet);
      lastEvalStep = step;
      const rec: MetricRecord = {
        split: 'eval',
        step,
        epoch: stream.epochs,
        time: timeOf(),
        loss: r.loss,
        accuracy: r.accuracy,
        perplexity: r.perplexity,
        numTensors: tf.memory().numTensors,
      };
      emit(rec);
      lastEval = rec;
      const improved = Number.isFinite(r.loss) && (bestEvalLoss === null || r.loss < bestEvalLoss);
      if (improved) {
        bestEvalLoss = r.loss;
        bestStep = step;
        bestEval = rec;
        evalsWithoutImprovement = 0;
      } else {
        evalsWithoutImprovement++;
      }
      cb.onPhase?.('training');
      return rec;
    };

    const checkpoint = (isBest: boolean): void => {
      if (!model || !optimizer || step === lastSavedStep) {
        if (isBest && step === lastSavedStep && lastCheckpoint) markBest();
        return;
      }
      cb.onPhase?.('checkpointing');
      const state: CheckpointState = {
        format: 1,
        step,
        epoch: stream.epochs,
        position: { ...stream.pos },
        modelRng: (model as RngModel).getRngState?.() ?? null,
        elapsedMs: elapsed(),
        trainTokens,
        maskCounts,
        skippedSteps,
        nonFiniteInRow,
        bestEvalLoss,
        bestStep,
        evalsWithoutImprovement,
        evalLoss: lastEvalStep === step && lastEval ? lastEval.loss : null,
        evalAccuracy: lastEvalStep === step && lastEval ? (lastEval.accuracy ?? null) : null,
        savedAt: new Date().toISOString(),
      };
      try {
        const saved = saveCheckpoint(runDir, {
          state,
          weights: model.toHfState(),
          optimizer: optimizer.getState().tensors,
          extraFiles: new Map([
            [CHECKPOINT_MODEL_CONFIG, `${JSON.stringify(toHfConfig(model.config), null, 2)}\n`],
          ]),
        });
        lastSavedStep = step;
        lastCheckpoint = saved.dir;
        if (isBest) markBest();
        rotateCheckpoints(runDir, {
          keepLast: config.checkpoint.keepLast,
          keepBest: config.checkpoint.keepBest,
          protect: resumedStep !== undefined ? [resumedStep] : [],
        });
        cb.onCheckpoint?.({ step, dir: saved.dir, best: isBest });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        // Report a failure once per kind (a full disk would otherwise log at every save).
        const kind = e.code ?? e.message;
        if (kind !== lastSaveError) {
          const hint =
            e.code === 'ENOSPC'
              ? ' (disk full: free some space; training continues and the older checkpoints are intact)'
              : '';
          cb.onLog?.('error', `checkpoint at step ${step} not saved: ${e.message}${hint}`);
        }
        lastSaveError = kind;
        cb.onPhase?.('training');
        return;
      }
      lastSaveError = undefined;
      cb.onPhase?.('training');
    };
    const markBest = () => {
      if (!config.checkpoint.keepBest || bestEvalLoss === null) return;
      writeBest(runDir, step, bestEvalLoss);
      bestCheckpoint = lastCheckpoint;
    };

    cb.onPhase?.('training');
    for (;;) {
      // Let the worker's message handlers (stop, pause) run between steps.
      await new Promise<void>((r) => setImmediate(r));
      if (opts.control?.waitIfPaused) {
        const p0 = Date.now();
        // Report the pause only when the caller says it is paused (waitIfPaused resolves at once otherwise).
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

      const micro: MlmBatch[] = [];
      let stepTokens = 0;
      for (let i = 0; i < t.gradAccumulation; i++) {
        const b = stream.next();
        micro.push(b.batch);
        maskCounts = addMaskCounts(maskCounts, b.counts);
        stepTokens += b.tokens;
      }
      const lr = learningRate({ step, progress: progressOf(plan, step, elapsed()) }, plan.schedule);
      if (replicas === undefined)
        replicas = await startDataParallel(model, t, stepFlops, cb.onLog, memory.replicas);
      const pool = replicas;
      const m = model;
      const o = optimizer;
      // An allocation failure halves the rows per pass and runs the step again (memory.ts).
      const r = await backoff.run((chunks) =>
        pool
          ? pool.step(m, o, micro, { lr, clipNorm: t.clipNorm, chunks })
          : trainStep(m, o, micro, { lr, clipNorm: t.clipNorm, chunks }),
      );
      trainTokens += stepTokens;
      if (!r.applied) {
        skippedSteps++;
        nonFiniteInRow++;
        cb.onLog?.(
          'warn',
          `step ${step + 1} skipped: non-finite ${Number.isFinite(r.loss) ? 'gradient' : 'loss'} (loss ${r.loss}, grad norm ${r.gradNorm}); ${nonFiniteInRow} in a row`,
        );
        if (nonFiniteInRow >= t.maxNonFinite) {
          stoppedBy = 'error';
          error =
            `training stopped at step ${step}: ${nonFiniteInRow} steps in a row had a non-finite loss or gradient ` +
            `(training.maxNonFinite = ${t.maxNonFinite}); lower training.lr (now ${t.lr}), keep training.clipNorm on, ` +
            'or check the corpus. The last good checkpoint is kept.';
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
      window.tokens += stepTokens;

      if (step % t.logEvery === 0 || limitReached(plan, step, elapsed())) {
        const secs = (Date.now() - window.start) / 1000;
        const tokensPerSec = secs > 0 ? window.tokens / secs : undefined;
        lastTrain = {
          split: 'train',
          step,
          epoch: stream.epochs,
          time: timeOf(),
          loss: window.loss / window.n,
          accuracy: window.acc / window.n,
          lr,
          gradNorm: window.norm / window.n,
          tokensPerSec,
          // Data-parallel: each replica thread has the leader's (single-thread) peak.
          ...utilisation(tokensPerSec, compute.flopsPerToken, compute.peakGflops, replicas?.replicas ?? 1),
          numTensors: tf.memory().numTensors,
          rssBytes: process.memoryUsage().rss,
          skippedSteps,
          ...trainMaskingRates(maskCounts),
        };
        emit(lastTrain);
        Object.assign(window, { loss: 0, acc: 0, norm: 0, n: 0, tokens: 0, start: Date.now() });
      }
      let improvedNow = false;
      const evalNow = step % t.evalEvery === 0;
      if (evalNow) {
        const before = bestStep;
        evaluate();
        improvedNow = bestStep === step && before !== step;
        if (t.earlyStoppingPatience !== null && evalsWithoutImprovement >= t.earlyStoppingPatience) {
          stoppedBy = 'early-stopping';
          cb.onLog?.(
            'info',
            `early stopping at step ${step}: eval loss did not improve for ${evalsWithoutImprovement} evaluations (best ${bestEvalLoss?.toFixed(4)} at step ${bestStep})`,
          );
        }
      }
      // Every eval publishes its weights (the server's fill-mask follows the newest evaluated checkpoint);
      // rotation keeps keepLast of them plus the best and the one a resume started from.
      if (step % config.checkpoint.every === 0 || (evalNow && evalSet.length > 0)) checkpoint(improvedNow);
      status.steps = step;
      status.epochs = stream.epochs;
      if (stoppedBy) break;
    }

    // ── End: final eval and checkpoint ────────────────────────────────────────────────────────────
    if (stoppedBy !== 'error' && step > 0) {
      if (lastEvalStep !== step) {
        const before = bestStep;
        evaluate();
        checkpoint(bestStep === step && before !== step);
      } else {
        checkpoint(bestStep === step);
      }
    }
    status.steps = step;
    status.epochs = stream.epochs;
    return finish(
      summary({
        steps: step,
        epochs: stream.epochs,
        stoppedBy: stoppedBy ?? 'stopped',
        bestEval,
        lastTrain,
        error,
        lastCheckpoint,
        bestCheckpoint,
        baselineAccuracy: evalSet.length ? baselineAccuracy : undefined,
      }),
    );
  } catch (err) {
    wasmAborted(err); // marks the module dead when the error is its abort
    const message = describeComputeFailure(err, memory?.estimate);
    cb.onLog?.('error', message);
    return finish(
      summary({
        stoppedBy: 'error',
        error: message,
        failure: computeFailureOf(err),
        steps: status?.steps ?? 0,
        epochs: status?.epochs ?? 0,
      }),
    );
  } finally {
    await replicas?.close();
    // After a wasm abort nothing may call into the module (a threaded one's locks may never be released).
    if (!wasmAborted()) {
      optimizer?.dispose();
      model?.dispose();
    }
  }

  function finish(s: RunSummary): RunSummary {
    if (status && runDir && fs.existsSync(runDir)) {
      status.status =
        s.stoppedBy === 'error' ? 'failed' : s.stoppedBy === 'stopped' ? 'stopped' : 'completed';
      status.updatedAt = new Date().toISOString();
      status.stoppedBy = s.stoppedBy;
      status.bestEval = s.bestEval;
      status.lastTrain = s.lastTrain;
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
