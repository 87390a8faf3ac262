/**
 * What every model here shares: its parameters in a ParamStore (Hugging Face names, conversion to and from
 * HF shapes) and a seeded dropout stream whose state is saved with checkpoints for exact resume.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../types';
import { DropoutStream } from './ops';
import { ParamStore } from './params';
import { mixSeed } from './random';

export abstract class ParamModel {
  protected readonly params: ParamStore;
  protected readonly dropout: DropoutStream;

  protected constructor(seed: number) {
    this.params = new ParamStore(seed);
    this.dropout = new DropoutStream(mixSeed(seed, 0x64726f70));
  }

  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.params.variables;
  }

  toHfState(): Map<string, NamedTensor> {
    return this.params.toHfState();
  }

  loadHfState(state: ReadonlyMap<string, NamedTensor>, opts: { allowMissing?: string[] } = {}): void {
    this.params.loadHfState(state, opts.allowMissing);
  }

  getRngState(): number {
    return this.dropout.state;
  }

  setRngState(state: number): void {
    this.dropout.state = state;
  }

  dispose(): void {
    this.params.dispose();
  }
}
