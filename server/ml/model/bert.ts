/**
 * BERT for masked language modelling with Hugging Face BertForMaskedLM's parameter names and semantics:
 * post-LN encoder, exact GELU, LayerNorm eps from the config, MLM head (dense + GELU + LayerNorm, decoder
 * tied to the word embeddings, plus a bias) evaluated only at the prediction targets.
 *
 * This file is the model's parameters and its reference forward (tf ops and differentiable kernels, dropout
 * when training): what training differentiates. Inference (no gradient recorded) runs bertInference.ts, the
 * same function through one-launch kernels and cached projections; a parity test holds the two together.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig, MlmModel } from '../types';
import { attention, type AttentionShape } from './attention';
import {
  attentionMaskBias,
  bias,
  denseBias,
  embeddingSum,
  fusedQkv,
  normAt,
  qkvParams,
  weight,
  type BertInput,
  type ParamGetter,
} from './bertBlocks';
import { BertInference } from './bertInference';
import { gelu } from './ops';
import { ParamModel, type TargetBatch } from './paramModel';

/** Names Hugging Face checkpoints may carry that this model does not use (ignored on load). */
export const BERT_IGNORED_ON_LOAD = [
  'cls.predictions.decoder.weight', // tied to bert.embeddings.word_embeddings.weight
  'cls.predictions.decoder.bias', // the same tensor as cls.predictions.bias
  'bert.embeddings.position_ids',
];

/**
 * The BERT encoder (embeddings and post-LN layers under "bert.") and its reference forward, shared by the MLM model
 * below and the fine-tuning task models (server/ml/finetune/model.ts); a subclass adds its head.
 */
export abstract class BertEncoder extends ParamModel {
  readonly config: BertConfig;
  /** Parameters by name, for the forward passes. */
  protected readonly get: ParamGetter = (name) => this.params.get(name) as tf.Tensor;
  /** Position ids 0..maxPositions-1 are implicit: the first seqLen rows of the position table. */

  constructor(config: BertConfig, seed: number) {
    super(seed);
    this.config = { ...config };
    const { vocabSize: v, hiddenSize: h, intermediateSize: f, initializerRange: std } = config;
    const normal = { kind: 'normal', std } as const;
    this.params.add({ name: 'bert.embeddings.word_embeddings.weight', shape: [v, h], init: normal });
    this.params.add({
      name: 'bert.embeddings.position_embeddings.weight',
      shape: [config.maxPositionEmbeddings, h],
      init: normal,
    });
    this.params.add({
      name: 'bert.embeddings.token_type_embeddings.weight',
      shape: [config.typeVocabSize, h],
      init: normal,
    });
    this.addLayerNorm('bert.embeddings.LayerNorm');
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      this.addLinear(`${l}.attention.self.query`, h, h);
      this.addLinear(`${l}.attention.self.key`, h, h);
      this.addLinear(`${l}.attention.self.value`, h, h);
      this.addLinear(`${l}.attention.output.dense`, h, h);
      this.addLayerNorm(`${l}.attention.output.LayerNorm`);
      this.addLinear(`${l}.intermediate.dense`, h, f);
      this.addLinear(`${l}.output.dense`, f, h);
      this.addLayerNorm(`${l}.output.LayerNorm`);
    }
  }

  /** Declares a Linear layer's weight [in, out] (Hugging Face [out, in]) and bias, initialised as transformers does. */
  protected addLinear(prefix: string, inDim: number, outDim: number): void {
    const std = this.config.initializerRange;
    this.params.add({
      name: `${prefix}.weight`,
      shape: [inDim, outDim],
      init: { kind: 'normal', std },
      transposed: true,
    });
    this.params.add({ name: `${prefix}.bias`, shape: [outDim], init: { kind: 'zeros' } });
  }

  /** Declares a LayerNorm's weight (ones) and bias (zeros). */
  protected addLayerNorm(prefix: string): void {
    const h = this.config.hiddenSize;
    this.params.add({ name: `${prefix}.weight`, shape: [h], init: { kind: 'ones' } });
    this.params.add({ name: `${prefix}.bias`, shape: [h], init: { kind: 'zeros' } });
  }

  protected denseAt(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return denseBias(x, weight(this.get, `${prefix}.weight`), bias(this.get, `${prefix}.bias`));
  }

  protected norm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return normAt(this.get, this.config, x, prefix);
  }

  /** Throws naming the first input id outside the vocabulary. */
  protected checkIds(inputIds: Int32Array): void {
    const v = this.config.vocabSize;
    for (let i = 0; i < inputIds.length; i++) {
      if (inputIds[i] < 0 || inputIds[i] >= v) {
        throw new Error(`input id ${inputIds[i]} at ${i} is outside the vocabulary [0, ${v})`);
      }
    }
  }

  /**
   * Final hidden states at the flat positions `rows` → [rows.length, hidden]. Only those rows are needed
   * after the last layer's attention, so its output dense, FFN and LayerNorms run on them alone (row-wise
   * ops: the same values as computing every row), unless hidden dropout is on (its masks cover every row).
   */
  protected encode(input: BertInput, training: boolean): tf.Tensor2D {
    const { batchSize, seqLen, maskBias, rows } = input;
    const c = this.config;
    const pHidden = training ? c.hiddenDropoutProb : 0;
    const pAttn = training ? c.attentionProbsDropoutProb : 0;
    const embedded = this.norm(embeddingSum(this.get, c, input), 'bert.embeddings.LayerNorm');
    let x = this.dropout.apply(embedded, pHidden);
    const rowIds = tf.tensor1d(rows, 'int32');
    let selected = false;
    const shape: AttentionShape = {
      batchSize,
      seqLen,
      heads: c.numAttentionHeads,
      dropoutRate: pAttn,
      dropout: (p) => this.dropout.apply(p, pAttn),
    };
    for (let i = 0; i < c.numHiddenLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      const last = i === c.numHiddenLayers - 1 && pHidden === 0;
      const qkv = fusedQkv(c, qkvParams(this.get, i));
      const ctx = attention(
        denseBias(x, qkv.w, qkv.b),
        maskBias,
        shape,
        last ? { ids: rows, tensor: rowIds } : undefined,
      );
      if (last) {
        x = tf.gather(x, rowIds);
        selected = true;
      }
      const attnOut = this.dropout.apply(this.denseAt(ctx, `${l}.attention.output.dense`), pHidden);
      x = this.norm(tf.add(attnOut, x), `${l}.attention.output.LayerNorm`);
      const inter = gelu(this.denseAt(x, `${l}.intermediate.dense`));
      const out = this.dropout.apply(this.denseAt(inter, `${l}.output.dense`), pHidden);
      x = this.norm(tf.add(out, x), `${l}.output.LayerNorm`);
    }
    return selected ? x : tf.gather(x, rowIds);
  }
}

export class BertMlm extends BertEncoder implements MlmModel {
  /** The inference path (no gradient recorded): fused kernels, cached Q|K|V projections. */
  private readonly inference: BertInference;

  constructor(config: BertConfig, seed: number) {
    super(config, seed);
    this.addLinear('cls.predictions.transform.dense', config.hiddenSize, config.hiddenSize);
    this.addLayerNorm('cls.predictions.transform.LayerNorm');
    this.params.add({ name: 'cls.predictions.bias', shape: [config.vocabSize], init: { kind: 'zeros' } });
    this.inference = new BertInference(this.config, this.get);
  }

  override dispose(): void {
    this.inference.release();
    super.dispose();
  }

  protected targetLogits(batch: TargetBatch, training: boolean): tf.Tensor2D {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions: rows } = batch;
    this.checkIds(inputIds);
    const input: BertInput = {
      inputIds,
      batchSize,
      seqLen,
      maskBias: attentionMaskBias(attentionMask, batchSize, seqLen),
      rows,
    };
    if (!training && !tf.engine().isTapeOn()) return this.inference.logits(input);
    this.inference.release(); // the weights are about to change: free the cached copies
    return this.head(this.encode(input, training));
  }

  /**
   * The reference forward at inference (for tests: BertInference must give the same): logits
   * [maskedPositions.length, vocab] of a validated batch.
   */
  referenceLogits(batch: TargetBatch): tf.Tensor2D {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions: rows } = batch;
    return tf.tidy(() => {
      const maskBias = attentionMaskBias(attentionMask, batchSize, seqLen);
      return this.head(this.encode({ inputIds, batchSize, seqLen, maskBias, rows }, false));
    });
  }

  /** MLM head on selected rows: hidden [m, h] → logits [m, vocab] (decoder tied to the word embeddings). */
  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const t = this.norm(
      gelu(this.denseAt(hidden, 'cls.predictions.transform.dense')),
      'cls.predictions.transform.LayerNorm',
    );
    const words = weight(this.get, 'bert.embeddings.word_embeddings.weight');
    return tf.add(tf.matMul(t, words, false, true), bias(this.get, 'cls.predictions.bias'));
  }
}
