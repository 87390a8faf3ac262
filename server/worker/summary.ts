/** Copies what the server reads out of the trainer's RunSummary into a plain, cloneable object. */
import type { RunSummary } from '../ml/train/summary';
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
