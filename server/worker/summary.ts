/** Copies what the server reads out of the trainer's RunSummary (or runFinetune's summary) into a plain, cloneable object. */
import type { FinetuneSummary } from '../ml/finetune';
import type { RunSummary } from '../ml/train/summary';
import type { MetricRecord } from '../ml/types';
import type { TrainerSummary } from './messages';

export function toTrainerSummary(s: RunSummary): TrainerSummary {
  return {
    runId: s.runId,
    runDir: s.runDir,
    steps: s.steps,
    stoppedBy: s.stoppedBy,
    error: s.error,
    failure: s.failure,
    bestEval: s.bestEval,
    lastCheckpoint: s.lastCheckpoint,
    bestCheckpoint: s.bestCheckpoint,
    raw: JSON.parse(JSON.stringify(s)) as unknown,
  };
}

/** A fine-tune run's summary: its best held-out metrics become the bestEval row (loss, accuracy, macro-F1, …). */
export function finetuneTrainerSummary(s: FinetuneSummary, runId: string): TrainerSummary {
  const best = s.best ?? s.last;
  const bestEval: MetricRecord | undefined = best
    ? {
        ...best,
        split: 'eval',
        step: s.bestStep ?? s.steps,
        epoch: s.epochs,
        time: 0,
        loss: best.loss ?? NaN,
      }
    : undefined;
  return {
    runId,
    runDir: s.runDir,
    steps: s.steps,
    stoppedBy: s.stoppedBy,
    error: s.error,
    bestEval,
    lastCheckpoint: s.lastCheckpoint,
    bestCheckpoint: s.bestCheckpoint,
    task: s.task?.task,
    raw: JSON.parse(JSON.stringify(s)) as unknown,
  };
}
