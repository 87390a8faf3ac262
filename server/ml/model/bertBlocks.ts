/**
 * What BERT's reference forward (bert.ts) and its inference path (bertInference.ts) share: parameter access,
 * the embedding sum, the attention mask bias, the fused Q|K|V projection and the dense layer with its bias
 * inside the product. Everything here is pure tensor math for a caller's tf.tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from '../types';
import { layerNorm } from './ops';

/** One validated batch as both forwards take it. */
export interface BertInput {
  inputIds: Int32Array;
  batchSize: number;
  seqLen: number;
  /** Additive attention bias [batch, seqLen] (attentionMaskBias), or undefined without padding. */
  maskBias: tf.Tensor2D | undefined;
  /** Flat positions b · seqLen + t whose logits are asked for. */
  rows: Int32Array;
  /** [batch·seqLen] segment ids (1 for the second text of a pair; task models); absent = all 0. */
  tokenTypeIds?: Int32Array;
}

/** A model's parameter by its Hugging Face name. */
export type ParamGetter = (name: string) => tf.Tensor;

export const weight = (get: ParamGetter, name: string): tf.Tensor2D => get(name) as tf.Tensor2D;
export const bias = (get: ParamGetter, name: string): tf.Tensor1D => get(name) as tf.Tensor1D;

/** The differentiable LayerNorm of the parameters under `prefix`: x [n, h] → [n, h]. */
export function normAt(get: ParamGetter, c: BertConfig, x: tf.Tensor2D, prefix: string): tf.Tensor2D {
  return layerNorm(x, bias(get, `${prefix}.weight`), bias(get, `${prefix}.bias`), c.layerNormEps);
}

/** x [n, in] · w [in, out] + b [out] → [n, out], one fused kernel (bias added inside the product). */
export function denseBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
}

/**
 * word[ids] + position[t] + tokenType[segment id] (segment 0 without tokenTypeIds), before the embeddings'
 * LayerNorm → [batch·seqLen, h].
 */
export function embeddingSum(get: ParamGetter, c: BertConfig, input: BertInput): tf.Tensor2D {
  const { inputIds, batchSize, seqLen, tokenTypeIds } = input;
  const h = c.hiddenSize;
  const words = tf.gather(
    weight(get, 'bert.embeddings.word_embeddings.weight'),
    tf.tensor1d(inputIds, 'int32'),
  );
  const positions = tf.slice(weight(get, 'bert.embeddings.position_embeddings.weight'), [0, 0], [seqLen, h]);
  const typeTable = weight(get, 'bert.embeddings.token_type_embeddings.weight');
  if (tokenTypeIds?.some((t) => t !== 0)) {
    for (let i = 0; i < tokenTypeIds.length; i++) {
      if (tokenTypeIds[i] < 0 || tokenTypeIds[i] >= c.typeVocabSize) {
        throw new Error(`token type id ${tokenTypeIds[i]} at ${i} is outside [0, ${c.typeVocabSize})`);
      }
    }
    const typed = tf.add(words, tf.gather(typeTable, tf.tensor1d(tokenTypeIds, 'int32'))); // [n, h]
    return tf.reshape(tf.add(tf.reshape(typed, [batchSize, seqLen, h]), positions), [batchSize * seqLen, h]);
  }
  const tokenType = tf.slice(typeTable, [0, 0], [1, h]);
  const summed = tf.add(tf.reshape(words, [batchSize, seqLen, h]), tf.add(positions, tokenType));
  return tf.reshape(summed, [batchSize * seqLen, h]);
}

/** Additive attention bias [batch, seqLen]: 0 for real tokens, -1e9 for padding keys; none without padding. */
export function attentionMaskBias(
  attentionMask: Int32Array,
  batchSize: number,
  seqLen: number,
): tf.Tensor2D | undefined {
  if (attentionMask.every((m) => m)) return undefined;
  return tf.tensor2d(
    Float32Array.from(attentionMask, (m) => (m ? 0 : -1e9)),
    [batchSize, seqLen],
  );
}

/** The three Q, K, V parameters of layer i: [wq, bq, wk, bk, wv, bv]. */
export function qkvParams(get: ParamGetter, i: number): tf.Tensor[] {
  const l = `bert.encoder.layer.${i}.attention.self`;
  return ['query', 'key', 'value'].flatMap((p) => [get(`${l}.${p}.weight`), get(`${l}.${p}.bias`)]);
}

/**
 * Layer i's query, key and value projections as one: weight [h, 3h], bias [3h], query columns scaled by
 * 1/√headDim (exact for the usual power-of-two head sizes); differentiable (concatenated from the parameters).
 */
export function fusedQkv(
  c: BertConfig,
  [wq, bq, wk, bk, wv, bv]: tf.Tensor[],
): { w: tf.Tensor2D; b: tf.Tensor1D } {
  const scale = 1 / Math.sqrt(c.hiddenSize / c.numAttentionHeads);
  return {
    w: tf.concat([tf.mul(wq, scale), wk, wv], 1) as tf.Tensor2D, // [h, 3h]
    b: tf.concat([tf.mul(bq, scale), bk, bv]) as tf.Tensor1D, // [3h]
  };
}
