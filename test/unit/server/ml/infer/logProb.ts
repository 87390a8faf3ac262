/** log P(want) at position `pos` of one unpadded row, straight from the model (the tests' reference for the scorers). */
import * as tf from '@tensorflow/tfjs-core';
import { logSoftmaxAt } from '../../../../../server/ml/infer/topk';
import type { MlmModel } from '../../../../../server/ml/types';

export function logProbAt(model: MlmModel, ids: number[], pos: number, want: number): number {
  const logits = tf.tidy(() =>
    model
      .logitsAt(Int32Array.from(ids), new Int32Array(ids.length).fill(1), 1, ids.length, Int32Array.of(pos))
      .dataSync(),
  ) as Float32Array;
  return logSoftmaxAt(logits, want);
}
