/**
 * The one active training run: starts its worker, forwards the worker's reports as events, steers it
 * (pause/resume/stop) and ends it. A second start while a run is active is rejected (RunInProgress).
 *
 * Over 300 lines: one run's whole lifecycle (start, steer, end) around its one worker.
 */
import path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { ResolvedRunConfig } from '../../protocol/runConfig';
import type { ServerStatus, TfMemory } from '../../protocol/status';
import { runOutcome, type RunOutcome } from '../../protocol/shared/runState';
import type { RunFinishedNotification } from '../../protocol/training';
import { trainingThreads } from '../ml/train/parallel/threads';
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { FinetuneConfig } from '../ml/finetune';
import type { CheckpointInfo } from '../ml/types';
import type { FromTrainer, TrainerSummary, WorkerBackend } from '../worker/messages';
import { TrainerHost } from '../worker/trainerHost';
import { claimRunFolder, type RunLock } from './runLock';

export interface RunEvents {
  status(patch: Partial<ServerStatus>): void;
  backend(b: WorkerBackend): void;
  metrics(runId: string, record: MetricRecord): void;
  /** A checkpoint was saved; `task` is set for a fine-tune run (its checkpoints are task models). */
  checkpoint(runId: string, runDir: string, info: CheckpointInfo, task: boolean): void;
  /** Preparation progress; undefined = preparation over. */
  progress(p: { message: string; fraction?: number } | undefined): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  finished(p: RunFinishedNotification.Params): void;
}

export interface StartRun {
  config: ResolvedRunConfig;
  root: string;
  corpusFiles: string[];
  resumeFrom?: string;
  /** A fine-tune run (the config's task section, resolved); resumeFrom is then the run folder it continues in. */
  finetune?: FinetuneConfig;
}

/** How long a stopped trainer may take to save its last checkpoint before it is terminated. */
const STOP_GRACE_MS = 30_000;
/** Of a shutdown's grace period, what the trainer keeps after its final save: run.json, 'done', the worker's exit. */
const SHUTDOWN_SAVE_MARGIN_MS = 250;

interface ActiveRun {
  runId: string;
  runDir: string;
  host: TrainerHost;
  startedAt: number;
  maxSteps?: number;
  step: number;
  stopRequested: boolean;
  bestEval?: MetricRecord;
  lastCheckpoint?: string;
  /** A fine-tune run's task kind. */
  task?: string;
  ended: boolean;
  backendReady: boolean;
  /** The run folder's single-writer lock, released when the run ends. */
  lock: RunLock;
  /** Resolves when the run has finished and its worker is gone. */
  done: Promise<void>;
}

export class RunManager {
  private active: ActiveRun | undefined;

  constructor(
    private readonly events: RunEvents,
    private readonly workerOptions: () => { backend: string; threads?: number },
  ) {}

  /** True while the active run's worker is still starting its TF.js backend (which probes nvidia-smi). */
  get backendStarting(): boolean {
    return this.active !== undefined && !this.active.backendReady;
  }

  get activeRun(): { runId: string; runDir: string } | undefined {
    return this.active && { runId: this.active.runId, runDir: this.active.runDir };
  }

  /** Throws RunInProgress while a run is active: one run at a time, a second one is rejected (not queued). */
  assertIdle(): void {
    if (this.active) {
      throw new MlmError(
        MlmErrorCodes.RunInProgress,
        `run ${this.active.runId} is still training: stop it (MLM: Stop Training) before starting another`,
        { runId: this.active.runId },
      );
    }
  }

  start(req: StartRun): { runId: string; runDir: string } {
    this.assertIdle();
    // One writer per run folder: a resume of a run another process still trains is refused (RunLocked).
    const { runId, runDir, lock } = claimRunFolder(req.config, req.root, req.resumeFrom);
    let finish!: () => void;
    const done = new Promise<void>((r) => {
      finish = () => {
        lock.release();
        r();
      };
    });
    const opts = this.workerOptions();
    const run: ActiveRun = {
      runId,
      runDir,
      startedAt: Date.now(),
      maxSteps: (req.finetune ?? req.config).training.maxSteps ?? undefined,
      task: req.finetune?.task.kind,
      step: 0,
      stopRequested: false,
      ended: false,
      backendReady: false,
      lock,
      done,
      host: new TrainerHost(
        {
          backend: req.config.backend === 'auto' ? opts.backend : req.config.backend,
          threads: trainingThreads(req.config, opts.threads),
        },
        {
          message: (m) => this.onMessage(run, m),
          exit: (code, error) => {
            if (!run.ended) {
              const why = error ? error.message : `the trainer worker exited with code ${code}`;
              this.end(
                run,
                'failed',
                `${why}: see the MLM backend log; the newest complete checkpoint is kept`,
              );
            }
            finish();
          },
        },
      ),
    };
    this.active = run;
    try {
      run.host.start({
        type: 'start',
        config: req.config,
        cwd: req.root,
        runId,
        runDir,
        corpusFiles: req.corpusFiles,
        resumeFrom: req.resumeFrom,
        finetune: req.finetune,
      });
    } catch (err) {
      this.active = undefined;
      lock.release();
      throw err;
    }
    this.events.status({
      state: 'preparing',
      phase: 'preparing',
      runId,
      runDir,
      step: 0,
      maxSteps: run.maxSteps,
      loss: undefined,
      evalLoss: undefined,
      etaSeconds: undefined,
      message: req.finetune
        ? `starting fine-tune run ${runId}: ${req.finetune.task.kind} on ${path.basename(req.finetune.task.train)}`
        : `starting run ${runId} on ${req.corpusFiles.length} files`,
    });
    return { runId, runDir };
  }

  private requireActive(runId: string | undefined): ActiveRun {
    const run = this.active;
    if (!run || run.ended)
      throw new MlmError(MlmErrorCodes.NoActiveRun, 'no run is training: start one with MLM: Train MLM');
    if (runId && runId !== run.runId) {
      throw new MlmError(MlmErrorCodes.NoActiveRun, `run ${runId} is not the active run (${run.runId} is)`);
    }
    return run;
  }

  pause(runId?: string): { runId: string } {
    const run = this.requireActive(runId);
    run.host.pause();
    this.events.status({ state: 'paused', message: `run ${run.runId} paused after step ${run.step}` });
    return { runId: run.runId };
  }

  resume(runId?: string): { runId: string } {
    const run = this.requireActive(runId);
    run.host.resume();
    this.events.status({ state: 'training', message: `run ${run.runId} resumed` });
    return { runId: run.runId };
  }

  /** Asks the trainer to stop (it saves a final checkpoint); terminates it if it has not ended after a grace period. */
  stop(runId?: string): { runId: string } {
    const run = this.requireActive(runId);
    if (!run.stopRequested) {
      run.stopRequested = true;
      run.host.stop();
      this.events.status({ message: `stopping run ${run.runId} (saving a checkpoint)` });
      void run.host.waitExit(STOP_GRACE_MS).then(async (exited) => {
        if (exited) return;
        this.events.log(
          'warn',
          `run ${run.runId} did not stop within ${STOP_GRACE_MS / 1000} s; terminating its worker`,
        );
        await run.host.terminate();
      });
    }
    return { runId: run.runId };
  }

  /**
   * For shutdown: stop, give the trainer graceMs to end (its final save only if it fits, SHUTDOWN_SAVE_MARGIN_MS
   * before the end for run.json and the exit), then abandon it. The run stays interrupted on disk, to be resumed.
   */
  async shutdown(graceMs: number): Promise<void> {
    const run = this.active;
    if (!run) return;
    if (!run.ended) {
      run.stopRequested = true;
      run.host.stop(Date.now() + graceMs - SHUTDOWN_SAVE_MARGIN_MS);
      await Promise.race([run.done, new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    await run.host.terminate();
  }

  trainerMemory(): TfMemory | undefined {
    return this.active && !this.active.ended ? this.active.host.memory() : undefined;
  }

  private onMessage(run: ActiveRun, m: FromTrainer): void {
    if (run.ended) return;
    switch (m.type) {
      case 'ready':
        run.backendReady = true;
        this.events.backend(m.backend);
        return;
      case 'phase': {
        const state: ServerStatus['state'] =
          m.phase === 'paused'
            ? 'paused'
            : m.phase === 'training' || m.phase === 'evaluating' || m.phase === 'checkpointing'
              ? 'training'
              : m.phase === 'done'
                ? 'training'
                : 'preparing';
        if (state === 'training') this.events.progress(undefined);
        // A pause with a reason is the trainer's own (a full disk); a user's pause comes without one.
        const pauseReason = m.phase === 'paused' ? m.detail : undefined;
        this.events.status({ state, phase: m.phase, message: m.detail, pauseReason });
        return;
      }
      case 'progress':
        this.events.progress({ message: m.message, fraction: m.fraction });
        this.events.status({ message: m.message });
        return;
      case 'metrics': {
        const r = m.record;
        run.step = Math.max(run.step, r.step);
        if (r.split === 'eval' && (!run.bestEval || r.loss < run.bestEval.loss)) run.bestEval = r;
        this.events.metrics(run.runId, r);
        const patch: Partial<ServerStatus> = { step: r.step };
        if (r.split === 'train') patch.loss = r.loss;
        else patch.evalLoss = r.loss;
        if (run.maxSteps && r.step > 0 && r.time > 0) {
          patch.etaSeconds = Math.max(0, Math.round(((run.maxSteps - r.step) * r.time) / r.step / 1000));
        }
        this.events.status(patch);
        return;
      }
      case 'checkpoint':
        run.lastCheckpoint = m.info.dir;
        this.events.checkpoint(run.runId, run.runDir, m.info, run.task !== undefined);
        return;
      case 'log':
        this.events.log(m.level, `[${run.runId}] ${m.message}`);
        return;
      case 'memory':
        return;
      case 'memoryEstimate':
        this.events.status({ memory: m.estimate });
        return;
      case 'done':
        this.end(run, runOutcome(m.summary.stoppedBy), messageOf(m.summary), m.summary);
        void run.host.terminate();
        return;
      case 'failed':
        this.events.log('error', `[${run.runId}] ${m.stack ?? m.message}`);
        this.end(run, 'failed', m.message);
        void run.host.terminate();
        return;
    }
  }

  private end(run: ActiveRun, outcome: RunOutcome, message: string, summary?: TrainerSummary): void {
    if (run.ended) return;
    run.ended = true;
    // The trainer has written its last file (or is gone): another process may now resume the run.
    run.lock.release();
    if (this.active === run) this.active = undefined;
    this.events.progress(undefined);
    const bestEval = summary?.bestEval ?? run.bestEval;
    const task = summary?.task ?? run.task;
    this.events.finished({
      runId: run.runId,
      runDir: run.runDir,
      outcome,
      step: summary?.steps ?? run.step,
      message,
      errorCode:
        summary?.failure === 'out-of-memory'
          ? MlmErrorCodes.OutOfMemory
          : summary?.failure === 'wasm-abort'
            ? MlmErrorCodes.ComputeAborted
            : undefined,
      bestEvalLoss: bestEval?.loss,
      bestEvalAccuracy: bestEval?.accuracy,
      lastCheckpoint: summary?.lastCheckpoint ?? run.lastCheckpoint,
      bestCheckpoint: summary?.bestCheckpoint,
      ...(task ? { task, bestMetrics: bestEval && numericFields(bestEval) } : {}),
      summary: summary?.raw,
    });
    this.events.status({
      state: outcome === 'failed' ? 'error' : outcome === 'stopped' ? 'stopped' : 'idle',
      phase: undefined,
      pauseReason: undefined,
      etaSeconds: undefined,
      message: `run ${run.runId}: ${message}`,
    });
  }
}

/** The numeric metrics of an eval row (step, epoch, time and bookkeeping left out). */
function numericFields(r: MetricRecord): Record<string, number> {
  const skip = new Set(['step', 'epoch', 'time', 'numTensors', 'rssBytes']);
  return Object.fromEntries(
    Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number' && !skip.has(e[0])),
  );
}

const REASONS: Record<string, string> = {
  'max-steps': 'max steps reached',
  epochs: 'all epochs done',
  'time-budget': 'time budget used up',
  'early-stopping': 'stopped early: the eval metric stopped improving',
  stopped: 'stopped by user',
};

function messageOf(s: TrainerSummary): string {
  if (s.stoppedBy === 'error') return s.error ?? 'training failed: see the MLM backend log';
  return `${REASONS[s.stoppedBy] ?? s.stoppedBy} after ${s.steps} steps`;
}
