/**
 * The loop's writer to the run folder: metric rows (metrics.jsonl + onMetrics) and checkpoints — the loop's
 * state with the weights, the optimizer moments and the objective's files, published atomically, rotated, the
 * best one marked. Every byte goes through the guarded writer (atomicWrite.ts). A full disk (ENOSPC/EDQUOT) sets
 * `diskFull` and keeps what was not written (the metric rows, the save) for `retry()`: the loop pauses the run until
 * space is freed. Any other failed save is reported once per kind and training goes on (older checkpoints are
 * intact).
 */
import {
  DiskFullError,
  isDiskFull,
  MetricsLog,
  runStartMs,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
  type CheckpointState,
} from '../checkpoint';
import { prefetch } from '../backend/read';
import type { MetricRecord, TrainCallbacks, TrainControl } from '../types';
import type { LoopRun } from './loopTypes';

/** The parts of the state that are only measured when a checkpoint is written. */
export type SaveTimeState = Pick<
  CheckpointState,
  'epoch' | 'position' | 'modelRng' | 'elapsedMs' | 'timeMs' | 'evalLoss' | 'evalAccuracy'
>;

/**
 * What a checkpoint save costs before this process has timed one (docs/reliability.md, "What a save costs"): a fixed
 * part (folder, fsyncs, rename, rotation) plus the bytes written (weights + two AdamW moments, float32) at a
 * conservative rate (measured with `npm run bench -- save` on our loaded 2-core machine: 56–78 KB/ms; table in
 * docs/reliability.md).
 */
export const SAVE_COST = { fixedMs: 40, bytesPerMs: 50_000 } as const;

/** The expected time of one save of a model with `parameters` weights, from a timed save or SAVE_COST. */
export function expectedSaveMs(parameters: number, timed?: { ms: number; bytes: number }): number {
  const bytes = 3 * 4 * parameters;
  if (timed && timed.bytes > 0) return timed.ms * (bytes / timed.bytes);
  return SAVE_COST.fixedMs + bytes / SAVE_COST.bytesPerMs;
}

export class CheckpointWriter {
  readonly saved: { lastCheckpoint?: string; bestCheckpoint?: string } = {};
  /** The newest save this process timed (its wall time and the bytes of weights + moments). */
  private timed: { ms: number; bytes: number } | undefined;
  private lastSavedStep: number;
  private lastSaveError: string | undefined;
  /** Set when a write failed on a full disk; cleared by retry(). */
  diskFull: DiskFullError | undefined;
  /** The save that failed on a full disk, for retry(). */
  private pendingSave: { isBest: boolean; now: SaveTimeState } | undefined;
  private readonly metrics: MetricsLog;

  constructor(
    private readonly run: LoopRun<unknown>,
    private readonly cb: TrainCallbacks,
  ) {
    this.lastSavedStep = run.resumed?.step ?? -1;
    this.metrics = new MetricsLog(run.runDir, {
      tensorboard: run.config.logging.tensorboard ? { startMs: runStartMs(run.status.createdAt) } : undefined,
    });
  }

  emit(m: MetricRecord): void {
    try {
      this.metrics.append(m); // kept for the next append on a full disk
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.diskFull ??= err as DiskFullError;
    }
    this.cb.onMetrics?.(m);
  }

  /** After a full disk: writes the kept metric rows and the failed save again (diskFull is set again if it fails). */
  async retry(): Promise<void> {
    this.diskFull = undefined;
    try {
      this.metrics.flush();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.diskFull = err as DiskFullError;
      return;
    }
    const p = this.pendingSave;
    this.pendingSave = undefined;
    if (p) await this.save(p.isBest, p.now);
  }

  /** Saves the state at its current step (once per step); isBest also marks it as the best checkpoint. */
  async save(isBest: boolean, now: SaveTimeState): Promise<void> {
    const { runDir, config, state, objective, optimizer } = this.run;
    const cb = this.cb;
    if (state.step === this.lastSavedStep) {
      if (isBest && this.saved.lastCheckpoint) this.markBest();
      return;
    }
    cb.onPhase?.('checkpointing');
    Object.assign(state, now, { savedAt: new Date().toISOString() });
    const t0 = Date.now();
    try {
      // The weights are downloaded first: toHfState reads synchronously, which webgpu cannot do in Node.
      await prefetch(objective.model.variables.values());
      const optimizerState = await optimizer.getState();
      const saved = saveCheckpoint(runDir, {
        state: { ...state, position: { ...state.position }, maskCounts: { ...state.maskCounts } },
        weights: objective.model.toHfState(),
        optimizer: optimizerState.tensors,
        extraFiles: objective.checkpointFiles(),
      });
      this.lastSavedStep = state.step;
      this.saved.lastCheckpoint = saved.dir;
      this.timed = { ms: Date.now() - t0, bytes: 3 * 4 * this.parameters() };
      if (isBest) this.markBest();
      rotateCheckpoints(runDir, {
        keepLast: config.checkpoint.keepLast,
        keepBest: config.checkpoint.keepBest,
        protect: this.run.resumed ? [this.run.resumed.step] : [],
      });
      cb.onCheckpoint?.({ step: state.step, dir: saved.dir, best: isBest });
      this.lastSaveError = undefined;
    } catch (err) {
      if (isDiskFull(err)) {
        // The loop pauses the run (one message) and retries this save once space is freed.
        this.diskFull = err as DiskFullError;
        this.pendingSave = { isBest, now };
      } else {
        const e = err as NodeJS.ErrnoException;
        // Report a failure once per kind.
        const kind = e.code ?? e.message;
        if (kind !== this.lastSaveError) {
          cb.onLog?.('error', `checkpoint at step ${state.step} not saved: ${e.message}`);
        }
        this.lastSaveError = kind;
      }
    }
    cb.onPhase?.('training');
  }

  /**
   * After a full disk (diskFull set): pauses the run with one message naming the folder and the space needed, and once
   * resumed writes the kept metric rows and the failed save again (pausing again if there is still no room), so nothing
   * is lost. Without a way to pause (the CLI) it returns the error that ends the run. Resolves with the time spent
   * paused and whether the run goes on.
   */
  async holdWhileDiskFull(
    control: TrainControl | undefined,
    step: number,
  ): Promise<{ goOn: boolean; pausedMs: number; error?: string }> {
    let pausedMs = 0;
    while (this.diskFull) {
      const full = this.diskFull;
      if (control?.signal?.aborted) {
        // Stopped while the disk is full: end without the writes that did not fit (older checkpoints are intact).
        this.cb.onLog?.('error', `${full.message}; the run stops at step ${step} without its last writes`);
        return { goOn: false, pausedMs };
      }
      if (!control?.pause || !control.waitIfPaused) {
        const error = `${full.message}; training stopped at step ${step} (the last complete checkpoint is kept): resume the run (mlm train --resume ${this.run.runDir}) once there is room`;
        return { goOn: false, pausedMs, error };
      }
      const message = `${full.message}; training is paused at step ${step}: resume it (MLM: Resume Training) once there is room; nothing is lost`;
      this.cb.onLog?.('error', message);
      control.pause();
      this.cb.onPhase?.('paused', message);
      const p0 = Date.now();
      await control.waitIfPaused();
      pausedMs += Date.now() - p0;
      await this.retry();
      if (control.signal?.aborted) return { goOn: false, pausedMs };
      this.cb.onPhase?.('training');
    }
    return { goOn: true, pausedMs };
  }

  /**
   * The final save of a shutdown: written only when it is expected to finish before `deadline` (Date.now() ms), else
   * the last complete checkpoint stays the newest (said in the log). True when the state at this step is on disk.
   */
  async saveBefore(deadline: number, now: SaveTimeState): Promise<boolean> {
    const step = this.run.state.step;
    if (step === this.lastSavedStep) return true;
    const expected = Math.round(expectedSaveMs(this.parameters(), this.timed));
    const left = deadline - Date.now();
    if (expected > left) {
      const kept = this.lastSavedStep >= 0 ? `step ${this.lastSavedStep}` : 'none yet';
      this.cb.onLog?.(
        'warn',
        `shutdown at step ${step}: no final checkpoint (a save takes ~${expected} ms, ${Math.max(0, left)} ms left of the shutdown budget); the newest complete checkpoint (${kept}) is kept and a resume continues from it`,
      );
      return false;
    }
    await this.save(false, now);
    this.cb.onLog?.('info', `shutdown at step ${step}: final checkpoint saved (expected ~${expected} ms)`);
    return this.lastSavedStep === step;
  }

  private parameters(): number {
    let n = 0;
    for (const v of this.run.objective.model.variables.values()) n += v.size;
    return n;
  }

  private markBest(): void {
    const { runDir, config, state } = this.run;
    if (!config.checkpoint.keepBest || state.bestEvalLoss === null) return;
    writeBest(runDir, state.step, state.bestEvalLoss);
    this.saved.bestCheckpoint = this.saved.lastCheckpoint;
  }
}
