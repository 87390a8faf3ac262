/**
 * One replica's contribution to a step: Σ weight · ∇(mean loss of the share) over its parts, written flat
 * into `out` (layout order), with its weighted loss and correct-prediction count. The leader and the
 * worker replicas run this same code, so the all-reduced sum equals the full batch's gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { microBatchGradients, type LossSource } from '../step';
import type { ParamLayout } from './layout';
import type { RowBatch, SharePart } from './split';

export interface ShareResult {
  /** Σ weight · loss of the share. */
  lossSum: number;
  correct: number;
}

export function shareGradients<B extends RowBatch>(
  source: LossSource<B>,
  layout: ParamLayout,
  parts: readonly SharePart<B>[],
  out: Float32Array,
): ShareResult {
  const vars = layout.slots.map((s) => source.variables.get(s.name)!);
  const acc = new Map<string, tf.Tensor>();
  let lossSum = 0;
  let correct = 0;
  try {
    for (const { batch, weight } of parts) {
      const { value, grads, correct: c } = microBatchGradients(source, batch, vars);
      lossSum += value.dataSync()[0] * weight;
      correct += c.dataSync()[0];
      tf.dispose([value, c]);
      for (const s of layout.slots) {
        const g = grads[source.variables.get(s.name)!.name];
        if (!g) continue;
        const prev = acc.get(s.name);
        acc.set(
          s.name,
          tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, weight)) : tf.mul(g, weight))),
        );
        prev?.dispose();
        g.dispose();
      }
    }
    for (const s of layout.slots) {
      const g = acc.get(s.name);
      if (g) out.set(g.dataSync() as Float32Array, s.offset);
      else out.fill(0, s.offset, s.offset + s.size);
    }
    return { lossSum, correct };
  } finally {
    for (const g of acc.values()) g.dispose();
  }
}
