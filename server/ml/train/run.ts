/**
 * runTraining: one complete training run — openRunFolder, prepareRun (data, tokenizer, model, optimizer, plan and
 * the loop state, restored on resume), trainLoop, then the run's summary in run.json. It reports only through
 * callbacks and never throws: failures come back as { stoppedBy: 'error', error }.
 */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { finishRunStatus } from '../checkpoint';
import { emptyMaskCounts, maskingRates } from '../data/masking';
import { wasmAborted } from '../backend/wasmHeap';
import { trainLoop } from './loop';
import { computeFailureOf, describeComputeFailure, type OutOfMemoryError } from './memory';
import {
  folderExists,
  openRunFolder,
  prepareRun,
  type PreparedRun,
  type RunFolder,
  type RunTrainingOptions,
} from './prepareRun';
import type { RunSummary, StopReason } from './summary';

export type { RunSummary, StopReason, MaskingRates } from './summary';
export type { RunTrainingOptions } from './prepareRun';
export { newRunId } from '../checkpoint/runDir';

export async function runTraining(config: ResolvedRunConfig, opts: RunTrainingOptions): Promise<RunSummary> {
  const cb = opts.callbacks ?? {};
  const t0 = Date.now();
  let folder: RunFolder | undefined;
  let run: PreparedRun | undefined;
  const summary = (s: Partial<RunSummary> & { stoppedBy: StopReason }): RunSummary => ({
    runId: folder?.runId ?? '',
    runDir: folder?.runDir ?? '',
    steps: run?.state.step ?? 0,
    epochs: run?.objective.epochs ?? 0,
    maskingRates: maskingRates(run?.state.maskCounts ?? emptyMaskCounts()),
    ...s,
  });
  try {
    cb.onPhase?.('preparing');
    folder = openRunFolder(config, opts, t0);
    run = await prepareRun(folder, opts);
    if (!run) return finish(summary({ stoppedBy: 'stopped' }));
    const out = await trainLoop(run, {
      callbacks: cb,
      control: opts.control,
      spawnReplica: opts.spawnReplica,
      t0,
    });
    return finish(
      summary({
        stoppedBy: out.stoppedBy,
        bestEval: out.bestEval,
        lastTrain: out.lastTrain,
        error: out.error,
        lastCheckpoint: out.lastCheckpoint,
        bestCheckpoint: out.bestCheckpoint,
        baselineAccuracy: run.baselineAccuracy,
      }),
    );
  } catch (err) {
    wasmAborted(err); // marks the module dead when the error is its abort
    const message = describeComputeFailure(err, run?.memory.estimate ?? (err as OutOfMemoryError).estimate);
    cb.onLog?.('error', message);
    return finish(
      summary({
        stoppedBy: 'error',
        error: message,
        failure: computeFailureOf(err),
        steps: folder?.status.steps ?? 0,
        epochs: folder?.status.epochs ?? 0,
      }),
    );
  } finally {
    // After a wasm abort nothing may call into the module (a threaded one's locks may never be released).
    if (!wasmAborted()) {
      run?.optimizer.dispose();
      run?.model.dispose();
    }
  }

  function finish(s: RunSummary): RunSummary {
    if (folderExists(folder)) {
      const { stoppedBy, bestEval, lastTrain, error } = s;
      const failed = finishRunStatus(folder.runDir, folder.status, { stoppedBy, bestEval, lastTrain, error });
      if (failed) cb.onLog?.('warn', failed);
    }
    cb.onPhase?.('done', s.stoppedBy);
    return s;
  }
}
