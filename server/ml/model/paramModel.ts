/**
 * What every model here shares: its parameters in a ParamStore (Hugging Face names, conversion to and from
 * HF shapes) and a seeded dropout stream whose state is saved with checkpoints for exact resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MlmBatch, ModelConfig, NamedTensor } from '../types';
import { checkBatchShape, DropoutStream, sparseCrossEntropy } from './ops';
import { ParamStore } from './params';
import { mixSeedPair } from '../data/rng';

/** A batch without its labels: what a forward pass reads. */
export type TargetBatch = Omit<MlmBatch, 'labels'>;

export abstract class ParamModel {
  abstract readonly config: ModelConfig;
  protected readonly params: ParamStore;
  protected readonly dropout: DropoutStream;

  protected constructor(seed: number) {
    this.params = new ParamStore(seed);
    this.dropout = new DropoutStream(mixSeedPair(seed, 0x64726f70));
  }

  /**
   * Logits [maskedPositions.length, vocabSize] at flat positions b * seqLen + t of an already validated batch;
   * `training` turns dropout on. What each architecture defines; loss and inference are shared below.
   */
  protected abstract targetLogits(batch: TargetBatch, training: boolean): tf.Tensor2D;

  logitsAt(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    positions: Int32Array,
  ): tf.Tensor2D {
    checkBatchShape(inputIds, attentionMask, batchSize, seqLen, positions, this.config.maxPositionEmbeddings);
    const batch = { inputIds, attentionMask, batchSize, seqLen, maskedPositions: positions };
    return tf.tidy(() => this.targetLogits(batch, false));
  }

  loss(batch: MlmBatch, training: boolean): { loss: tf.Scalar; logits: tf.Tensor2D } {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions, labels } = batch;
    checkBatchShape(
      inputIds,
      attentionMask,
      batchSize,
      seqLen,
      maskedPositions,
      this.config.maxPositionEmbeddings,
    );
    if (labels.length !== maskedPositions.length) {
      throw new Error(`the batch has ${labels.length} labels for ${maskedPositions.length} masked positions`);
    }
    const logits = this.targetLogits(batch, training);
    return { loss: sparseCrossEntropy(logits, labels), logits };
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
