/**
 * Layer-wise learning-rate decay (ELECTRA, "Revisiting few-sample BERT fine-tuning"): the head trains at the full
 * rate and each layer below at `decay` times the rate of the one above — parameter group g of depth d gets
 * lr × decay^(L + 1 − d), with the embeddings at depth 0, encoder layer i at i + 1 and the pooler and classifier at
 * L + 1. Each group is one AdamW update with its own rate (as torch param groups with their own lr: the decoupled
 * weight decay follows the group's rate) and the same step count.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { AdamW, type AdamWOptions } from '../train/adamw';

/** Depth of a BERT parameter: 0 embeddings, i + 1 for encoder layer i, layers + 1 for the head. */
export function depthOf(name: string, layers: number): number {
  if (name.startsWith('bert.embeddings.')) return 0;
  const m = /^bert\.encoder\.layer\.(\d+)\./.exec(name);
  return m ? Number(m[1]) + 1 : layers + 1;
}

export class LayerwiseAdamW extends AdamW {
  private readonly scale = new Map<string, number>();

  constructor(params: ReadonlyMap<string, tf.Variable>, opts: AdamWOptions, layers: number, decay: number) {
    super(params, opts);
    for (const name of params.keys()) this.scale.set(name, decay ** (layers + 1 - depthOf(name, layers)));
  }

  /** The learning-rate multiplier of a parameter. */
  lrScale(name: string): number {
    return this.scale.get(name) ?? 1;
  }

  override apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale = 1, fused?: boolean): void {
    const groups = new Map<number, Map<string, tf.Tensor>>();
    for (const [name, g] of grads) {
      const s = this.lrScale(name);
      let group = groups.get(s);
      if (!group) groups.set(s, (group = new Map()));
      group.set(name, g);
    }
    const step = this.step;
    for (const [s, group] of groups) {
      this.step = step; // one optimizer step for every group: the same bias corrections
      super.apply(group, lr * s, gradScale, fused);
    }
    this.step = step + 1;
  }
}
