/**
 * The loop's writer to the run folder: metric rows (metrics.jsonl + onMetrics) and checkpoints — the loop's
 * state with the weights, the optimizer moments and the objective's files, published atomically, rotated, the
 * best one marked. A failed save is reported once per kind and training goes on (older checkpoints are intact).
 */
import {
  MetricsLog,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
  type CheckpointState,
} from '../checkpoint';
import { prefetch } from '../backend/read';
import type { MetricRecord, TrainCallbacks } from '../types';
import type { LoopRun } from './loop';

/** The parts of the state that are only measured when a checkpoint is written. */
export type SaveTimeState = Pick<
  CheckpointState,
  'epoch' | 'position' | 'modelRng' | 'elapsedMs' | 'evalLoss' | 'evalAccuracy'
>;

export class CheckpointWriter {
  readonly saved: { lastCheckpoint?: string; bestCheckpoint?: string } = {};
  private lastSavedStep: number;
  private lastSaveError: string | undefined;
  private readonly metrics: MetricsLog;

  constructor(
    private readonly run: LoopRun<unknown>,
    private readonly cb: TrainCallbacks,
  ) {
    this.lastSavedStep = run.resumed?.step ?? -1;
    this.metrics = new MetricsLog(run.runDir);
  }

  emit(m: MetricRecord): void {
    this.metrics.append(m);
    this.cb.onMetrics?.(m);
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
      if (isBest) this.markBest();
      rotateCheckpoints(runDir, {
        keepLast: config.checkpoint.keepLast,
        keepBest: config.checkpoint.keepBest,
        protect: this.run.resumed ? [this.run.resumed.step] : [],
      });
      cb.onCheckpoint?.({ step: state.step, dir: saved.dir, best: isBest });
      this.lastSaveError = undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // Report a failure once per kind (a full disk would otherwise log at every save).
      const kind = e.code ?? e.message;
      if (kind !== this.lastSaveError) {
        const hint =
          e.code === 'ENOSPC'
            ? ' (disk full: free some space; training continues and the older checkpoints are intact)'
            : '';
        cb.onLog?.('error', `checkpoint at step ${state.step} not saved: ${e.message}${hint}`);
      }
      this.lastSaveError = kind;
    }
    cb.onPhase?.('training');
  }

  private markBest(): void {
    const { runDir, config, state } = this.run;
    if (!config.checkpoint.keepBest || state.bestEvalLoss === null) return;
    writeBest(runDir, state.step, state.bestEvalLoss);
    this.saved.bestCheckpoint = this.saved.lastCheckpoint;
  }
}
