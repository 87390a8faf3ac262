/**
 * The kill-anywhere test's child (killAnywhere.test.ts): a trainer's checkpoint publishing without the training.
 * Starts like a resume (the newest usable checkpoint, temp and incomplete folders cleaned), then saves checkpoints of
 * the next steps forever — model, optimizer, config.json and state.json whose numbers all equal the step, the best
 * marked every other step, rotation to 2 (+ best + the one it started from) — until MLM_CRASH_AT kills it.
 * Usage: node publishChild.js RUN_DIR
 */
// store.ts and state.ts directly: the checkpoint index would bundle the model (TF.js) too.
import { emptyCheckpointState } from '../../../../../server/ml/checkpoint/state';
import {
  newestUsableCheckpoint,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
} from '../../../../../server/ml/checkpoint/store';
import type { NamedTensor } from '../../../../../server/ml/types';

const runDir = process.argv[2];
const tensor = (shape: number[], v: number): NamedTensor => ({
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
});
const start = newestUsableCheckpoint(runDir, { clean: true });
for (let step = (start?.step ?? 0) + 1; ; step++) {
  saveCheckpoint(runDir, {
    state: { ...emptyCheckpointState(), step },
    weights: new Map([
      ['bert.embeddings.word_embeddings.weight', tensor([64, 16], step)],
      ['cls.predictions.bias', tensor([64], step)],
    ]),
    optimizer: new Map([
      ['bert.embeddings.word_embeddings.weight.exp_avg', tensor([64, 16], step)],
      ['bert.embeddings.word_embeddings.weight.exp_avg_sq', tensor([64, 16], step)],
    ]),
    extraFiles: new Map([['config.json', `${JSON.stringify({ step })}\n`]]),
  });
  if (step % 2 === 0) writeBest(runDir, step, 1 / step);
  rotateCheckpoints(runDir, { keepLast: 2, keepBest: true, protect: start ? [start.step] : [] });
}
