/**
 * The flat layout of a model's trainable variables in a Float32Array (the shared all-reduce and weight
 * buffers): name, shape, offset and size of each, in model.variables order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmModel } from '../../types';

export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ParamLayout {
  slots: ParamSlot[];
  /** Total floats. */
  size: number;
}

export function paramLayout(model: MlmModel): ParamLayout {
  const slots: ParamSlot[] = [];
  let offset = 0;
  for (const [name, v] of model.variables) {
    if (!v.trainable) continue;
    slots.push({ name, shape: v.shape.slice(), offset, size: v.size });
    offset += v.size;
  }
  return { slots, size: offset };
}

/** Throws naming the first variable whose shape differs from the layout (replica built from another model). */
export function checkLayout(model: MlmModel, layout: ParamLayout): void {
  for (const s of layout.slots) {
    const v = model.variables.get(s.name);
    if (!v || v.shape.join(',') !== s.shape.join(',')) {
      throw new Error(
        `replica model has ${v ? `shape [${v.shape}]` : 'no variable'} for "${s.name}" where the leader has [${s.shape}]: the replica must be built from the leader's model config`,
      );
    }
  }
}

/** Copies the model's trainable weights into `out` (layout order). */
export function readWeights(model: MlmModel, layout: ParamLayout, out: Float32Array): void {
  for (const s of layout.slots) out.set(model.variables.get(s.name)!.dataSync() as Float32Array, s.offset);
}

/** Assigns the model's trainable weights from `src` (layout order). */
export function writeWeights(model: MlmModel, layout: ParamLayout, src: Float32Array): void {
  for (const s of layout.slots) {
    const v = model.variables.get(s.name)!;
    tf.tidy(() => v.assign(tf.tensor(src.subarray(s.offset, s.offset + s.size), s.shape, 'float32')));
  }
}
