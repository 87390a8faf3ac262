/**
 * BERT's inference path (no dropout, no gradient): the reference forward of bert.ts computed with the one-launch
 * kernels where the backend has them (embeddings + LayerNorm, LayerNorm of a residual sum, MlmDense with the bias
 * inside the product, the few-rows attention kernel) and with each layer's fused Q|K|V projection cached, keyed
 * by the identity (dataId) of the parameter tensors it was built from, so a training step or a checkpoint load
 * rebuilds it. It must give the reference's logits: test/unit/server/ml/model/bertInference.test.ts checks both.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from '../types';
import { denseKernel, hasDenseKernel } from '../kernels/dense';
import { addLayerNormKernel, embedLayerNormKernel, hasInferenceLayerNorm } from '../kernels/layerNorm';
import { attendRows, attendsFewRows, attention, type AttentionShape } from './attention';
import {
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
import { gelu } from './ops';

interface Projection {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** A cached fused Q|K|V projection and, once asked for, its query and key|value column blocks. */
interface QkvEntry extends Projection {
  keys: tf.DataId[];
  split?: { q: Projection; kv: Projection };
}

const entryTensors = (c: QkvEntry): tf.Tensor[] =>
  c.split ? [c.w, c.b, c.split.q.w, c.split.q.b, c.split.kv.w, c.split.kv.b] : [c.w, c.b];

export class BertInference {
  /** Per layer, the cached fused Q|K|V projection. */
  private readonly qkvCache: Array<QkvEntry | undefined> = [];

  constructor(
    private readonly config: BertConfig,
    private readonly get: ParamGetter,
  ) {}

  /** Logits [rows.length, vocab] at the flat positions `rows`. Call with no gradient recorded, inside a tidy. */
  logits(input: BertInput): tf.Tensor2D {
    return this.head(this.encode(input));
  }

  /** Frees the cached projections (a training step is about to change the weights, or the model is disposed). */
  release(): void {
    for (const c of this.qkvCache) if (c) tf.dispose(entryTensors(c));
    this.qkvCache.length = 0;
  }

  /** Layer i's fused projection, cached until one of its parameters' data changes. */
  private qkvProjection(i: number): QkvEntry {
    const parts = qkvParams(this.get, i);
    const keys = parts.map((t) => t.dataId);
    const hit = this.qkvCache[i];
    if (hit && hit.keys.every((k, j) => k === keys[j])) return hit;
    if (hit) tf.dispose(entryTensors(hit));
    const made = tf.tidy(() => fusedQkv(this.config, parts));
    tf.keep(made.w); // outlives the caller's tidy
    tf.keep(made.b);
    const entry = { keys, ...made };
    this.qkvCache[i] = entry;
    return entry;
  }

  /** Layer i's cached projection split into its query [h, h] and key|value [h, 2h] column blocks. */
  private splitProjection(i: number): { q: Projection; kv: Projection } {
    const entry = this.qkvProjection(i);
    if (entry.split) return entry.split;
    const h = this.config.hiddenSize;
    const split = tf.tidy(() => ({
      q: { w: tf.slice(entry.w, [0, 0], [h, h]), b: tf.slice(entry.b, [0], [h]) },
      kv: { w: tf.slice(entry.w, [0, h], [h, 2 * h]), b: tf.slice(entry.b, [h], [2 * h]) },
    }));
    for (const t of [split.q.w, split.q.b, split.kv.w, split.kv.b]) tf.keep(t);
    entry.split = split;
    return split;
  }

  /** x [n, in] · W + b → [n, out]: one MlmDense launch where the backend has it, else tf.fused.matMul. */
  private dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
    return hasDenseKernel() ? denseKernel(x, w, b) : denseBias(x, w, b);
  }

  private denseAt(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return this.dense(x, weight(this.get, `${prefix}.weight`), bias(this.get, `${prefix}.bias`));
  }

  /** LayerNorm(x + residual): one launch where the backend has it. */
  private addNorm(x: tf.Tensor2D, residual: tf.Tensor2D, prefix: string): tf.Tensor2D {
    if (!hasInferenceLayerNorm()) return normAt(this.get, this.config, tf.add(x, residual), prefix);
    const [g, b] = [bias(this.get, `${prefix}.weight`), bias(this.get, `${prefix}.bias`)];
    return addLayerNormKernel(x, residual, g, b, this.config.layerNormEps);
  }

  /**
   * Final hidden states at the flat positions `rows` → [rows.length, hidden]. The last layer's output dense,
   * FFN and LayerNorms run on those rows alone (row-wise: the same values), and on wasm its queries are
   * projected for them alone.
   */
  private encode(input: BertInput): tf.Tensor2D {
    const { inputIds, batchSize, seqLen, maskBias, rows } = input;
    const c = this.config;
    const get = this.get;
    let x: tf.Tensor2D;
    if (hasInferenceLayerNorm()) {
      x = embedLayerNormKernel(
        tf.tensor1d(inputIds, 'int32'),
        {
          word: weight(get, 'bert.embeddings.word_embeddings.weight'),
          position: weight(get, 'bert.embeddings.position_embeddings.weight'),
          tokenType: weight(get, 'bert.embeddings.token_type_embeddings.weight'),
        },
        bias(get, 'bert.embeddings.LayerNorm.weight'),
        bias(get, 'bert.embeddings.LayerNorm.bias'),
        { seqLen, eps: c.layerNormEps },
      );
    } else {
      x = normAt(get, c, embeddingSum(get, c, input), 'bert.embeddings.LayerNorm');
    }
    const rowIds = tf.tensor1d(rows, 'int32');
    const shape: AttentionShape = {
      batchSize,
      seqLen,
      heads: c.numAttentionHeads,
      dropoutRate: 0,
      dropout: (p) => p,
    };
    for (let i = 0; i < c.numHiddenLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      const last = i === c.numHiddenLayers - 1;
      let ctx: tf.Tensor2D;
      if (last && hasDenseKernel() && attendsFewRows(shape, rows.length, c.hiddenSize)) {
        // Queries for the target rows only; keys and values for every token.
        const { q, kv } = this.splitProjection(i);
        const xRows = tf.gather(x, rowIds);
        ctx = attendRows(denseKernel(xRows, q.w, q.b), denseKernel(x, kv.w, kv.b), maskBias, shape, rowIds);
        x = xRows;
      } else {
        const qkv = this.qkvProjection(i);
        ctx = attention(
          this.dense(x, qkv.w, qkv.b),
          maskBias,
          shape,
          last ? { ids: rows, tensor: rowIds } : undefined,
        );
        if (last) x = tf.gather(x, rowIds);
      }
      x = this.addNorm(
        this.denseAt(ctx, `${l}.attention.output.dense`),
        x,
        `${l}.attention.output.LayerNorm`,
      );
      const inter = gelu(this.denseAt(x, `${l}.intermediate.dense`));
      x = this.addNorm(this.denseAt(inter, `${l}.output.dense`), x, `${l}.output.LayerNorm`);
    }
    return c.numHiddenLayers ? x : tf.gather(x, rowIds);
  }

  /** MLM head on selected rows: hidden [m, h] → logits [m, vocab]; the tied decoder is one MlmDense launch on wasm. */
  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const get = this.get;
    const t = normAt(
      get,
      this.config,
      gelu(this.denseAt(hidden, 'cls.predictions.transform.dense')),
      'cls.predictions.transform.LayerNorm',
    );
    const words = weight(get, 'bert.embeddings.word_embeddings.weight');
    if (hasDenseKernel()) return denseKernel(t, words, bias(get, 'cls.predictions.bias'), true);
    return tf.add(tf.matMul(t, words, false, true), bias(get, 'cls.predictions.bias'));
  }
}
