/**
 * The training loop, nanoGPT-style: one `state` object (a CheckpointState: step, data position, counters, early
 * stopping) is everything a run carries from step to step, what every checkpoint saves and what a resume loads.
 * Each iteration: honour stop/pause, check the plan's limits, take gradAccumulation micro-batches from the
 * Objective (train/objective.ts: MLM pretraining, a fine-tuning task), one optimizer step (this thread or
 * data-parallel replicas), log, evaluate, checkpoint. prepareRun (MLM) and runFinetune build its input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addMaskCounts } from '../data/masking';
import type { MetricRecord } from '../types';
import { utilisation } from './flops';
import type { ReplicaGroup } from './objective';
import { CheckpointWriter } from './checkpointWriter';
import { limitReached, progressOf } from './plan';
import { learningRate } from './schedule';
import { estimateTrainingMemory, MemoryBackoff } from './memory';
import { gradientStep } from './step';
import { onSpike, recordApplied, spikeThreshold } from './lossSpike';
import type { LoopIo, LoopOutcome, LoopRun } from './loopTypes';
import type { StopReason } from './summary';

export async function trainLoop<B>(run: LoopRun<B>, io: LoopIo): Promise<LoopOutcome> {
  const { config, objective, optimizer, plan, compute, state, status } = run;
  const t = config.training;
  const cb = io.callbacks;
  const signal = io.control?.signal;
  // Clocks: metric times include preparation and pauses; the budget and the schedule count training time only.
  const elapsedBefore = state.elapsedMs;
  const timeBefore = state.timeMs ?? state.elapsedMs;
  const loopStart = Date.now();
  let pausedMs = 0; // paused, or starting the replica threads: not training time
  const timeOf = () => timeBefore + (Date.now() - io.t0);
  const elapsed = () => elapsedBefore + (Date.now() - loopStart - pausedMs);

  const out: Omit<LoopOutcome, 'stoppedBy'> & { lastEval?: MetricRecord } = {
    bestEval: run.resumed?.bestEval,
  };
  const saver = new CheckpointWriter(run, cb);
  const window = { loss: 0, acc: 0, targets: 0, norm: 0, n: 0, tokens: 0, start: Date.now() };
  let replicas: ReplicaGroup<B> | null | undefined; // started at the first step (training.dataParallel)
  let backoff: MemoryBackoff | undefined; // rows per pass, halved on an allocation failure (train/memory.ts)

  /** Held-out evaluation at the current step; updates early stopping. True when it is a new best. */
  const evaluate = async (): Promise<boolean> => {
    if (!objective.hasHeldOut) return false;
    cb.onPhase?.('evaluating');
    const r = await objective.evaluate();
    const rec: MetricRecord = {
      split: 'eval',
      step: state.step,
      epoch: objective.epochs,
      time: timeOf(),
      ...r,
      numTensors: tf.memory().numTensors,
    };
    saver.emit(rec);
    out.lastEval = rec;
    const score = objective.selectionScore?.(r) ?? r.loss;
    const improved = Number.isFinite(score) && (state.bestEvalLoss === null || score < state.bestEvalLoss);
    if (improved) {
      state.bestEvalLoss = score;
      state.bestStep = state.step;
      out.bestEval = rec;
      state.evalsWithoutImprovement = 0;
    } else {
      state.evalsWithoutImprovement++;
    }
    cb.onPhase?.('training');
    return improved;
  };
  const saveTimeState = () => ({
    epoch: objective.epochs,
    position: objective.position,
    modelRng: objective.model.getRngState?.() ?? null,
    elapsedMs: elapsed(),
    timeMs: timeOf(),
    evalLoss: out.lastEval?.step === state.step ? out.lastEval.loss : null,
    evalAccuracy: out.lastEval?.step === state.step ? (out.lastEval.accuracy ?? null) : null,
  });
  const checkpoint = (isBest: boolean) => saver.save(isBest, saveTimeState());

  /** A full disk pauses the run until resumed (CheckpointWriter.holdWhileDiskFull); false when the run must end. */
  const holdWhileDiskFull = async (): Promise<boolean> => {
    const h = await saver.holdWhileDiskFull(io.control, state.step);
    pausedMs += h.pausedMs;
    if (h.error !== undefined) [stoppedBy, out.error] = ['error', h.error];
    return h.goOn;
  };

  let stoppedBy: StopReason | undefined;
  try {
    cb.onPhase?.('training');
    for (;;) {
      // Let the worker's message handlers (stop, pause) run between steps.
      await new Promise<void>((r) => setImmediate(r));
      if (io.control?.waitIfPaused) {
        const p0 = Date.now();
        // Report the pause only when the caller says it is paused (waitIfPaused resolves at once otherwise).
        const paused = io.control.isPaused?.() === true;
        if (paused) cb.onPhase?.('paused');
        await io.control.waitIfPaused();
        pausedMs += Date.now() - p0;
        if (paused && !signal?.aborted) cb.onPhase?.('training');
      }
      stoppedBy = signal?.aborted ? 'stopped' : limitReached(plan, state.step, elapsed());
      if (stoppedBy) break;

      // ── One optimizer step ─────────────────────────────────────────────────────────────────────────
      const micro: B[] = [];
      let stepTokens = 0;
      for (let i = 0; i < t.gradAccumulation; i++) {
        const b = objective.next();
        micro.push(b.batch);
        if (b.counts) state.maskCounts = addMaskCounts(state.maskCounts, b.counts);
        stepTokens += b.tokens;
      }
      // Rollbacks after loss spikes lower the schedule's rate for the rest of the run (train/lossSpike.ts).
      const lr =
        learningRate({ step: state.step, progress: progressOf(plan, state.step, elapsed()) }, plan.schedule) *
        state.lrScale;
      const maxLoss = spikeThreshold(t.lossSpike, state);
      if (replicas === undefined) {
        const stepFlops = compute.flopsPerToken * t.batchSize * config.data.seqLen;
        const startedAt = Date.now();
        replicas =
          (await objective.startReplicas?.({
            spawn: io.spawnReplica,
            stepFlops,
            onLog: cb.onLog,
            maxReplicas: run.memory?.replicas,
          })) ?? null;
        // Starting the replica threads (each loads its backend and a copy of the model) is preparation, like
        // building the model: it does not count against the time budget or move the schedule.
        const startMs = Date.now() - startedAt;
        pausedMs += startMs;
        if (replicas)
          cb.onLog?.(
            'info',
            `${replicas.replicas} replica threads started in ${(startMs / 1000).toFixed(1)} s (preparation: not counted against the time budget)`,
          );
        const rowsPerReplica = Math.ceil(t.batchSize / (replicas?.replicas ?? 1));
        const plan = run.memory;
        backoff = new MemoryBackoff(plan?.chunks ?? 1, rowsPerReplica, cb.onLog, (chunks) => {
          if (!plan) return;
          // The dashboard and run.json show the passes the run now takes.
          const e = estimateTrainingMemory({ ...plan.input, replicas: replicas?.replicas ?? 1, chunks });
          status.memory = e;
          cb.onMemory?.(e);
        });
      }
      const group = replicas;
      // An allocation failure halves the rows per pass and runs the step again (same effective batch).
      const r = await backoff!.run((chunks) => {
        const update = { lr, clipNorm: t.clipNorm, chunks, maxLoss };
        return group
          ? group.step(optimizer, micro, update)
          : gradientStep(objective, optimizer, micro, update);
      });
      state.trainTokens += stepTokens;
      if (r.spike && t.lossSpike) {
        const rollback = { runDir: run.runDir, model: objective.model, optimizer, log: cb.onLog };
        const error = onSpike(t.lossSpike, state, r.loss, rollback);
        if (error) {
          stoppedBy = 'error';
          out.error = error;
          break;
        }
        continue;
      }
      if (!r.applied) {
        state.skippedSteps++;
        state.nonFiniteInRow++;
        cb.onLog?.(
          'warn',
          `step ${state.step + 1} skipped: non-finite ${Number.isFinite(r.loss) ? 'gradient' : 'loss'} (loss ${r.loss}, grad norm ${r.gradNorm}); ${state.nonFiniteInRow} in a row`,
        );
        if (state.nonFiniteInRow >= t.maxNonFinite) {
          stoppedBy = 'error';
          out.error =
            `training stopped at step ${state.step}: ${state.nonFiniteInRow} steps in a row had a non-finite loss or gradient ` +
            `(training.maxNonFinite = ${t.maxNonFinite}); lower training.lr (now ${t.lr}), keep training.clipNorm on, ` +
            'or check the corpus. The last good checkpoint is kept.';
          break;
        }
        continue;
      }
      state.nonFiniteInRow = 0;
      recordApplied(state, r.loss);
      state.step++;
      const step = state.step;
      window.loss += r.loss;
      window.acc += r.accuracy;
      window.targets += r.targets;
      window.norm += r.gradNorm;
      window.n++;
      window.tokens += stepTokens;

      // ── Log, evaluate, checkpoint ──────────────────────────────────────────────────────────────────
      if (step % t.logEvery === 0 || limitReached(plan, step, elapsed())) {
        const secs = (Date.now() - window.start) / 1000;
        const tokensPerSec = secs > 0 ? window.tokens / secs : undefined;
        out.lastTrain = {
          split: 'train',
          step,
          epoch: objective.epochs,
          time: timeOf(),
          loss: window.loss / window.n,
          ...(window.targets > 0 ? { accuracy: window.acc / window.n } : {}),
          lr,
          gradNorm: window.norm / window.n,
          tokensPerSec,
          // Data-parallel: each replica thread has the leader's (single-thread) peak.
          ...utilisation(tokensPerSec, compute.flopsPerToken, compute.peakGflops, replicas?.replicas ?? 1),
          numTensors: tf.memory().numTensors,
          rssBytes: process.memoryUsage().rss,
          skippedSteps: state.skippedSteps,
          lossSpikes: state.lossSpikes,
          rollbacks: state.rollbacks,
          ...objective.trainColumns?.(state),
        };
        saver.emit(out.lastTrain);
        Object.assign(window, { loss: 0, acc: 0, targets: 0, norm: 0, n: 0, tokens: 0, start: Date.now() });
      }
      const evalNow = step % t.evalEvery === 0;
      const improvedNow = evalNow && (await evaluate());
      if (
        evalNow &&
        t.earlyStoppingPatience !== null &&
        state.evalsWithoutImprovement >= t.earlyStoppingPatience
      ) {
        stoppedBy = 'early-stopping';
        cb.onLog?.(
          'info',
          `early stopping at step ${step}: ${objective.selectionName ?? 'eval loss'} did not improve for ${state.evalsWithoutImprovement} evaluations (best at step ${state.bestStep})`,
        );
      }
      // Every eval publishes its weights (the server's fill-mask follows the newest evaluated checkpoint);
      // rotation keeps keepLast of them plus the best and the one a resume started from.
      if (step % config.checkpoint.every === 0 || (evalNow && out.lastEval?.step === step))
        await checkpoint(improvedNow);
      status.steps = step;
      status.epochs = objective.epochs;
      if (!(await holdWhileDiskFull())) {
        stoppedBy ??= 'stopped';
        break;
      }
      if (stoppedBy) break;
    }

    // ── End: final eval and checkpoint ──────────────────────────────────────────────────────────────
    const deadline = stoppedBy === 'stopped' ? io.control?.shutdownDeadline?.() : undefined;
    if (deadline !== undefined) {
      // The backend is shutting down: no final evaluation; a final save only if it can finish in time.
      stoppedBy = 'shutdown';
      if (state.step > 0) await saver.saveBefore(deadline, saveTimeState());
    } else if (stoppedBy !== 'error' && state.step > 0) {
      if (out.lastEval?.step !== state.step) await checkpoint(await evaluate());
      else await checkpoint(state.bestStep === state.step);
      await holdWhileDiskFull();
    }
    status.steps = state.step;
    status.epochs = objective.epochs;
    return { ...out, stoppedBy: stoppedBy ?? 'stopped', ...saver.saved };
  } finally {
    await replicas?.close();
  }
}
