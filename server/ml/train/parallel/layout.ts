/**
 * The flat layout of a model's trainable variables in a Float32Array (the shared all-reduce and weight
 * buffers): name, shape, offset and size of each, in model.variables order. frozenLayout is the same for the
 * variables that do not train (a fine-tune's frozen encoder layers): copied to the replicas once.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What a layout reads and writes: a model's variables by parameter name. */
export interface VariableOwner {
  readonly variables: ReadonlyMap<string, tf.Variable>;
}

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

function layoutOf(model: VariableOwner, trainable: boolean): ParamLayout {
  const slots: ParamSlot[] = [];
  let offset = 0;
  for (const [name, v] of model.variables) {
    if (v.trainable !== trainable) continue;
    slots.push({ name, shape: v.shape.slice(), offset, size: v.size });
    offset += v.size;
  }
  return { slots, size: offset };
}

/** The trainable variables: the weights broadcast every step and the gradients summed. */
export const paramLayout = (model: VariableOwner): ParamLayout => layoutOf(model, true);

/** The non-trainable variables (frozen layers): their weights reach a replica once, at its start. */
export const frozenLayout = (model: VariableOwner): ParamLayout => layoutOf(model, false);

/** Throws naming the first variable whose shape differs from the layout (replica built from another model). */
export function checkLayout(model: VariableOwner, layout: ParamLayout): void {
  for (const s of layout.slots) {
    const v = model.variables.get(s.name);
    if (!v || v.shape.join(',') !== s.shape.join(',')) {
      throw new Error(
        `replica model has ${v ? `shape [${v.shape}]` : 'no variable'} for "${s.name}" where the leader has [${s.shape}]: the replica must be built from the leader's model config`,
      );
    }
  }
}

/** Copies the model's weights of the layout's variables into `out` (layout order). */
export function readWeights(model: VariableOwner, layout: ParamLayout, out: Float32Array): void {
  for (const s of layout.slots) out.set(model.variables.get(s.name)!.dataSync() as Float32Array, s.offset);
}

/** Assigns the model's weights of the layout's variables from `src` (layout order). */
export function writeWeights(model: VariableOwner, layout: ParamLayout, src: Float32Array): void {
  for (const s of layout.slots) {
    const v = model.variables.get(s.name)!;
    tf.tidy(() => v.assign(tf.tensor(src.subarray(s.offset, s.offset + s.size), s.shape, 'float32')));
  }
}
