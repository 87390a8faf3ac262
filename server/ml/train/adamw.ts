/**
 * AdamW with decoupled weight decay, exactly as torch.optim.AdamW (and Hugging Face's Trainer):
 *   p ← p · (1 − lr · wd)                       (not for biases and LayerNorm weights)
 *   m ← β1 m + (1 − β1) g ;  v ← β2 v + (1 − β2) g²
 *   p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 * The moments live in tf.Variables so that an update never leaves a tensor behind; getState/setState
 * copy them to and from plain arrays for checkpoints. On wasm and cpu each parameter's update is one fused
 * kernel (kernels/fusedAdamW.ts); elsewhere it is the tf ops of adamwOps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readData } from '../backend/read';
import { fusedAdamW, hasFusedAdamW } from '../kernels/fusedAdamW';
import { isNoDecayParameter } from '../model/naming';
import type { NamedTensor } from '../types';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface AdamWState {
  step: number;
  /** "<param>.exp_avg" and "<param>.exp_avg_sq" for every parameter that has moments. */
  tensors: Map<string, NamedTensor>;
}

/** Parameters that get no weight decay: biases and LayerNorm weights (Hugging Face's convention). */
export function decays(name: string): boolean {
  return !isNoDecayParameter(name);
}

export class AdamW {
  /** Optimizer steps taken (t in the bias corrections). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly opts: AdamWOptions,
  ) {
    // Moments are created up front so the tensor count does not change once training runs.
    for (const [name, p] of params) {
      this.slot(this.m, name, p);
      this.slot(this.v, name, p);
    }
  }

  /**
   * Applies one update with gradients keyed by parameter name, each multiplied by gradScale first (clipping).
   * Does not dispose the gradients. `fused` (default: when the backend has the kernel) is for tests.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale = 1, fused = hasFusedAdamW()): void {
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.opts;
    const bc1 = 1 - beta1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      const m = this.slot(this.m, name, p);
      const v = this.slot(this.v, name, p);
      const decay = decays(name) && weightDecay > 0 ? 1 - lr * weightDecay : 1;
      if (fused) {
        const attrs = { beta1, beta2, epsilon, decay, stepSize: lr / bc1, bc2Sqrt, gradScale };
        const [p1, m1, v1] = fusedAdamW(p, m, v, g, attrs);
        p.assign(p1);
        m.assign(m1);
        v.assign(v1);
        tf.dispose([p1, m1, v1]);
      } else {
        tf.tidy(() =>
          adamwOps(p, m, v, gradScale === 1 ? g : tf.mul(g, gradScale), this.opts, decay, lr, bc1, bc2Sqrt),
        );
      }
    }
  }

  /** The moments, read asynchronously (every backend: webgpu has no synchronous read in Node). */
  async getState(): Promise<AdamWState> {
    const tensors = new Map<string, NamedTensor>();
    for (const [name, m] of this.m) {
      const v = this.v.get(name)!;
      const [md, vd] = await Promise.all([readData(m), readData(v)]);
      tensors.set(`${name}.exp_avg`, { shape: m.shape.slice(), data: md as Float32Array });
      tensors.set(`${name}.exp_avg_sq`, { shape: v.shape.slice(), data: vd as Float32Array });
    }
    return { step: this.step, tensors };
  }

  setState(state: AdamWState): void {
    this.step = state.step;
    for (const [name, p] of this.params) {
      for (const [suffix, slots] of [
        ['.exp_avg', this.m],
        ['.exp_avg_sq', this.v],
      ] as const) {
        const t = state.tensors.get(name + suffix);
        if (!t) continue;
        if (t.shape.join(',') !== p.shape.join(',')) {
          throw new Error(
            `optimizer state "${name}${suffix}" has shape [${t.shape}] but the parameter has [${p.shape}]: the checkpoint belongs to another model`,
          );
        }
        const slot = this.slot(slots, name, p);
        tf.tidy(() => slot.assign(tf.tensor(t.data, t.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }

  private slot(slots: Map<string, tf.Variable>, name: string, p: tf.Variable): tf.Variable {
    let s = slots.get(name);
    if (!s) {
      s = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      slots.set(name, s);
    }
    return s;
  }
}

/** The update as tf ops (backends without the fused kernel), in place on the variables p, m, v. Run in a tidy. */
export function adamwOps(
  p: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  g: tf.Tensor,
  opts: AdamWOptions,
  decay: number,
  lr: number,
  bc1: number,
  bc2Sqrt: number,
): void {
  const { beta1, beta2, epsilon } = opts;
  const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)); // shape of p
  const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)); // shape of p
  m.assign(m1);
  v.assign(v1);
  const decayed = decay !== 1 ? tf.mul(p, decay) : p;
  const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), epsilon);
  p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), lr / bc1)));
}
