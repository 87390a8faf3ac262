/**
 * The trainable parameters of a model, keyed by Hugging Face name, and their conversion to/from the
 * Hugging Face layout. Linear weights are stored [in, out] here (x · W) and [out, in] in HF (nn.Linear).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../types';
import { hashString, mixSeedPair, normalArray } from '../data/rng';

export type ParamInit = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  /** Hugging Face name, e.g. "bert.encoder.layer.0.attention.self.query.weight". */
  name: string;
  /** Shape in the tfjs layout. */
  shape: number[];
  init: ParamInit;
  /** 2-D weight stored transposed relative to HF ([in, out] here, [out, in] in HF). */
  transposed?: boolean;
}

let storeCounter = 0;

export class ParamStore {
  readonly variables = new Map<string, tf.Variable>();
  private readonly transposed = new Set<string>();
  /** tfjs variable names are global: prefix them per store so several models can coexist. */
  private readonly prefix = `mlm${storeCounter++}`;

  constructor(private readonly seed: number) {}

  add(spec: ParamSpec): tf.Variable {
    if (this.variables.has(spec.name)) throw new Error(`parameter ${spec.name} declared twice`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (spec.init.kind === 'normal') {
      values = normalArray(size, spec.init.std, mixSeedPair(this.seed, hashString(spec.name)));
    } else {
      values = new Float32Array(size).fill(spec.init.kind === 'ones' ? 1 : 0);
    }
    // tf.variable copies its initial value: dispose the source so a model leaves nothing behind on dispose().
    const initial = tf.tensor(values, spec.shape, 'float32');
    const v = tf.variable(initial, true, `${this.prefix}/${spec.name}`);
    initial.dispose();
    this.variables.set(spec.name, v);
    if (spec.transposed) this.transposed.add(spec.name);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  /** Copies in the HF layout. */
  toHfState(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, v] of this.variables) {
      const data = v.dataSync() as Float32Array;
      if (this.transposed.has(name)) {
        const [rows, cols] = v.shape;
        out.set(name, { shape: [cols, rows], data: transpose2d(data, rows, cols) });
      } else {
        out.set(name, { shape: [...v.shape], data: Float32Array.from(data) });
      }
    }
    return out;
  }

  /**
   * Validates every parameter first (so a bad state changes nothing), then assigns. Names in allowMissing
   * keep their current values; names the model does not have are ignored (like HF's "unused weights").
   */
  loadHfState(state: ReadonlyMap<string, NamedTensor>, allowMissing: readonly string[] = []): void {
    const updates: Array<[tf.Variable, Float32Array]> = [];
    for (const [name, v] of this.variables) {
      const t = state.get(name);
      if (!t) {
        if (allowMissing.includes(name)) continue;
        throw new Error(`weight ${name} is missing from the checkpoint: it was made for a different model`);
      }
      const [rows, cols] = v.shape;
      const hfShape = this.transposed.has(name) ? [cols, rows] : v.shape;
      if (t.shape.length !== hfShape.length || t.shape.some((d, i) => d !== hfShape[i])) {
        throw new Error(
          `weight ${name} has shape [${t.shape.join(', ')}] in the checkpoint but the model expects ` +
            `[${hfShape.join(', ')}]: the checkpoint was made with a different model config`,
        );
      }
      const size = hfShape.reduce((a, b) => a * b, 1);
      if (t.data.length !== size) {
        throw new Error(`weight ${name} holds ${t.data.length} values for shape [${hfShape.join(', ')}]`);
      }
      updates.push([v, this.transposed.has(name) ? transpose2d(t.data, cols, rows) : t.data]);
    }
    for (const [v, data] of updates) {
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/** [rows, cols] row-major → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}
