/**
 * BERT for masked language modelling with Hugging Face BertForMaskedLM's parameter names and semantics:
 * post-LN encoder, exact GELU, LayerNorm eps from the config, MLM head (dense + GELU + LayerNorm, decoder
 * tied to the word embeddings, plus a bias) evaluated only at the prediction targets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig, MlmModel } from '../types';
import { denseKernel, hasDenseKernel } from '../kernels/dense';
import { addLayerNormKernel, embedLayerNormKernel, hasInferenceLayerNorm } from '../kernels/layerNorm';
import { attendRows, attendsFewRows, attention, type AttentionShape } from './attention';
import { gelu, layerNorm } from './ops';
import { ParamModel } from './paramModel';

/** Names Hugging Face checkpoints may carry that this model does not use (ignored on load). */
export const BERT_IGNORED_ON_LOAD = [
  'cls.predictions.decoder.weight', // tied to bert.embeddings.word_embeddings.weight
  'cls.predictions.decoder.bias', // the same tensor as cls.predictions.bias
  'bert.embeddings.position_ids',
];

/** x [n, in] · w [in, out] + b [out] → [n, out], one fused kernel (bias added inside the product). */
function denseBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
}

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

/**
 * The BERT encoder (embeddings + post-LN layers, Hugging Face names under "bert.") that the MLM model and the
 * fine-tuning task heads (server/ml/finetune) share; a subclass adds its head's parameters and targetLogits.
 */
export abstract class BertEncoder extends ParamModel {
  readonly config: BertConfig;
  /** Per layer, the fused Q|K|V projection used while no gradient is recorded (see qkvProjection). */
  private readonly qkvCache: Array<QkvEntry | undefined> = [];
  /** Position ids 0..maxPositions-1 are implicit: the first seqLen rows of the position table. */

  constructor(config: BertConfig, seed: number) {
    super(seed);
    this.config = { ...config };
    const { vocabSize: v, hiddenSize: h, intermediateSize: f, initializerRange: std } = config;
    const normal = { kind: 'normal', std } as const;
    const zeros = { kind: 'zeros' } as const;
    const ones = { kind: 'ones' } as const;
    const p = this.params;
    const linearParams = (prefix: string, inDim: number, outDim: number): void => {
      p.add({ name: `${prefix}.weight`, shape: [inDim, outDim], init: normal, transposed: true });
      p.add({ name: `${prefix}.bias`, shape: [outDim], init: zeros });
    };
    const layerNormParams = (prefix: string): void => {
      p.add({ name: `${prefix}.weight`, shape: [h], init: ones });
      p.add({ name: `${prefix}.bias`, shape: [h], init: zeros });
    };
    p.add({ name: 'bert.embeddings.word_embeddings.weight', shape: [v, h], init: normal });
    p.add({
      name: 'bert.embeddings.position_embeddings.weight',
      shape: [config.maxPositionEmbeddings, h],
      init: normal,
    });
    p.add({
      name: 'bert.embeddings.token_type_embeddings.weight',
      shape: [config.typeVocabSize, h],
      init: normal,
    });
    layerNormParams('bert.embeddings.LayerNorm');
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      linearParams(`${l}.attention.self.query`, h, h);
      linearParams(`${l}.attention.self.key`, h, h);
      linearParams(`${l}.attention.self.value`, h, h);
      linearParams(`${l}.attention.output.dense`, h, h);
      layerNormParams(`${l}.attention.output.LayerNorm`);
      linearParams(`${l}.intermediate.dense`, h, f);
      linearParams(`${l}.output.dense`, f, h);
      layerNormParams(`${l}.output.LayerNorm`);
    }
  }

  /** Declares a Linear layer's weight [in, out] (HF [out, in]) and bias, initialised like Hugging Face's. */
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

  protected w(name: string): tf.Tensor2D {
    return this.params.get(name) as tf.Tensor as tf.Tensor2D;
  }

  protected b(name: string): tf.Tensor1D {
    return this.params.get(name) as tf.Tensor as tf.Tensor1D;
  }

  protected norm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return layerNorm(x, this.b(`${prefix}.weight`), this.b(`${prefix}.bias`), this.config.layerNormEps);
  }

  /** LayerNorm(x + residual): one launch at inference, else tf.add + the differentiable LayerNorm. */
  private addNorm(x: tf.Tensor2D, residual: tf.Tensor2D, prefix: string, fused: boolean): tf.Tensor2D {
    if (!fused) return this.norm(tf.add(x, residual), prefix);
    const eps = this.config.layerNormEps;
    return addLayerNormKernel(x, residual, this.b(`${prefix}.weight`), this.b(`${prefix}.bias`), eps);
  }

  /**
   * x [n, in] · W + b → [n, out] as one fused kernel (the bias is added inside the product); with direct
   * (inference on wasm) as one engine op, MlmDense: the same XNNPACK product without tf.fused.matMul's wrapping.
   */
  protected denseAt(x: tf.Tensor2D, prefix: string, direct: boolean): tf.Tensor2D {
    const w = this.w(`${prefix}.weight`);
    const b = this.b(`${prefix}.bias`);
    return direct ? denseKernel(x, w, b) : denseBias(x, w, b);
  }

  /**
   * Layer i's query, key and value projections as one: weight [h, 3h], bias [3h], query columns scaled by
   * 1/√headDim (exact for the usual power-of-two head sizes). While gradients are recorded it is concatenated
   * from the three HF-named parameters (so their gradients flow back); otherwise it is cached, keyed by the
   * parameters' data, and rebuilt when any of them changes (a training step or a checkpoint load); the
   * first training step after an evaluation frees it.
   */
  private qkvProjection(i: number): { w: tf.Tensor2D; b: tf.Tensor1D } {
    const l = `bert.encoder.layer.${i}.attention.self`;
    const parts = ['query', 'key', 'value'].flatMap((p) => [
      this.w(`${l}.${p}.weight`),
      this.b(`${l}.${p}.bias`),
    ]);
    const build = (): { w: tf.Tensor2D; b: tf.Tensor1D } => {
      const scale = 1 / Math.sqrt(this.config.hiddenSize / this.config.numAttentionHeads);
      const [wq, bq, wk, bk, wv, bv] = parts;
      return {
        w: tf.concat([tf.mul(wq, scale), wk, wv], 1) as tf.Tensor2D, // [h, 3h]
        b: tf.concat([tf.mul(bq, scale), bk, bv]) as tf.Tensor1D, // [3h]
      };
    };
    if (tf.engine().isTapeOn()) {
      this.clearQkvCache(); // training: the weights are about to change; free the copies
      return build();
    }
    const keys = parts.map((t) => t.dataId);
    const hit = this.qkvCache[i];
    if (hit && hit.keys.every((k, j) => k === keys[j])) return hit;
    if (hit) tf.dispose(entryTensors(hit));
    const made = tf.tidy(build);
    tf.keep(made.w); // outlives the caller's tidy
    tf.keep(made.b);
    this.qkvCache[i] = { keys, ...made };
    return made;
  }

  /**
   * Layer i's cached projection split into its query [h, h] and key|value [h, 2h] column blocks (inference
   * only: the last layer projects queries for the target rows alone).
   */
  private splitProjection(i: number): { q: Projection; kv: Projection } {
    this.qkvProjection(i); // builds or refreshes the entry
    const entry = this.qkvCache[i] as QkvEntry;
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

  /** Drops the cached fused projections (tensors in tfjs's memory). */
  private clearQkvCache(): void {
    for (const c of this.qkvCache) if (c) tf.dispose(entryTensors(c));
    this.qkvCache.length = 0;
  }

  override dispose(): void {
    this.clearQkvCache();
    super.dispose();
  }

  /**
   * Final hidden states at the flat positions `rows` → [rows.length, hidden]. Only those rows are needed
   * after the last layer's attention, so its output dense, FFN and LayerNorms run on them alone (row-wise
   * ops: the same values as computing every row), unless hidden dropout is on (its masks cover every row).
   */
  protected encode(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    rows: Int32Array,
    training: boolean,
    /** [batchSize * seqLen] segment ids (0 or 1 for sentence pairs); absent = all 0. */
    tokenTypeIds?: Int32Array,
  ): tf.Tensor2D {
    const c = this.config;
    const h = c.hiddenSize;
    const n = batchSize * seqLen;
    for (let i = 0; i < n; i++) {
      if (inputIds[i] < 0 || inputIds[i] >= c.vocabSize) {
        throw new Error(`input id ${inputIds[i]} at ${i} is outside the vocabulary [0, ${c.vocabSize})`);
      }
    }
    const pHidden = training ? c.hiddenDropoutProb : 0;
    const pAttn = training ? c.attentionProbsDropoutProb : 0;
    // Inference (no dropout, no tape): the fused one-launch kernels, where the backend has them.
    const inference = !training && !tf.engine().isTapeOn();
    const fusedNorm = inference && hasInferenceLayerNorm();
    const direct = inference && hasDenseKernel();
    // Embeddings: word [n, h] + position [seqLen, h] (broadcast over the batch) + token type 0 [h].
    const types = tokenTypeIds?.some((t) => t !== 0) ? tokenTypeIds : undefined;
    if (types) {
      for (let i = 0; i < n; i++) {
        if (types[i] < 0 || types[i] >= c.typeVocabSize) {
          throw new Error(`token type id ${types[i]} at ${i} is outside [0, ${c.typeVocabSize})`);
        }
      }
    }
    let x: tf.Tensor2D;
    if (fusedNorm && !types) {
      x = embedLayerNormKernel(
        tf.tensor1d(inputIds, 'int32'),
        {
          word: this.w('bert.embeddings.word_embeddings.weight'),
          position: this.w('bert.embeddings.position_embeddings.weight'),
          tokenType: this.w('bert.embeddings.token_type_embeddings.weight'),
        },
        this.b('bert.embeddings.LayerNorm.weight'),
        this.b('bert.embeddings.LayerNorm.bias'),
        { seqLen, eps: c.layerNormEps },
      );
    } else {
      const words = tf.gather(
        this.w('bert.embeddings.word_embeddings.weight'),
        tf.tensor1d(inputIds, 'int32'),
      );
      const positions = tf.slice(this.w('bert.embeddings.position_embeddings.weight'), [0, 0], [seqLen, h]);
      const typeTable = this.w('bert.embeddings.token_type_embeddings.weight');
      let summed: tf.Tensor;
      if (types) {
        const typed = tf.add(words, tf.gather(typeTable, tf.tensor1d(types, 'int32'))); // [n, h]
        summed = tf.add(tf.reshape(typed, [batchSize, seqLen, h]), positions);
      } else {
        const tokenType = tf.slice(typeTable, [0, 0], [1, h]);
        summed = tf.add(tf.reshape(words, [batchSize, seqLen, h]), tf.add(positions, tokenType));
      }
      x = this.norm(tf.reshape(summed, [n, h]), 'bert.embeddings.LayerNorm');
      x = this.dropout.apply(x, pHidden);
    }
    // Additive attention bias [batch, seqLen]: 0 for real tokens, -1e9 for padding keys; none without padding.
    let maskBias: tf.Tensor2D | undefined;
    if (attentionMask.some((m) => !m)) {
      const bias = new Float32Array(n);
      for (let i = 0; i < n; i++) bias[i] = attentionMask[i] ? 0 : -1e9;
      maskBias = tf.tensor2d(bias, [batchSize, seqLen]);
    }
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
      let ctx: tf.Tensor2D;
      if (last && direct && attendsFewRows(shape, rows.length, h)) {
        // Queries for the target rows only; keys and values for every token.
        const { q, kv } = this.splitProjection(i);
        const xRows = tf.gather(x, rowIds);
        ctx = attendRows(denseKernel(xRows, q.w, q.b), denseKernel(x, kv.w, kv.b), maskBias, shape, rowIds);
        x = xRows;
        selected = true;
      } else {
        const qkv = this.qkvProjection(i);
        const proj = direct ? denseKernel(x, qkv.w, qkv.b) : denseBias(x, qkv.w, qkv.b);
        ctx = attention(proj, maskBias, shape, last ? { ids: rows, tensor: rowIds } : undefined);
        if (last) {
          x = tf.gather(x, rowIds);
          selected = true;
        }
      }
      const attnOut = this.dropout.apply(this.denseAt(ctx, `${l}.attention.output.dense`, direct), pHidden);
      x = this.addNorm(attnOut, x, `${l}.attention.output.LayerNorm`, fusedNorm);
      const inter = gelu(this.denseAt(x, `${l}.intermediate.dense`, direct));
      const out = this.dropout.apply(this.denseAt(inter, `${l}.output.dense`, direct), pHidden);
      x = this.addNorm(out, x, `${l}.output.LayerNorm`, fusedNorm);
    }
    return selected ? x : tf.gather(x, rowIds);
  }
}

export class BertMlm extends BertEncoder implements MlmModel {
  constructor(config: BertConfig, seed: number) {
    super(config, seed);
    const h = config.hiddenSize;
    this.addLinear('cls.predictions.transform.dense', h, h);
    this.params.add({
      name: 'cls.predictions.transform.LayerNorm.weight',
      shape: [h],
      init: { kind: 'ones' },
    });
    this.params.add({
      name: 'cls.predictions.transform.LayerNorm.bias',
      shape: [h],
      init: { kind: 'zeros' },
    });
    this.params.add({ name: 'cls.predictions.bias', shape: [config.vocabSize], init: { kind: 'zeros' } });
  }

  /**
   * MLM head on selected rows: hidden [m, h] → logits [m, vocab]. At inference on wasm the tied decoder is one
   * MlmDense launch: the word embeddings' cached transposed copy, the bias inside the product.
   */
  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const direct = !tf.engine().isTapeOn() && hasDenseKernel();
    const t = this.norm(
      gelu(this.denseAt(hidden, 'cls.predictions.transform.dense', direct)),
      'cls.predictions.transform.LayerNorm',
    );
    const words = this.w('bert.embeddings.word_embeddings.weight');
    if (direct) return denseKernel(t, words, this.b('cls.predictions.bias'), true);
    const logits = tf.matMul(t, words, false, true);
    return tf.add(logits, this.b('cls.predictions.bias'));
  }

  protected targetLogits(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    positions: Int32Array,
    training: boolean,
  ): tf.Tensor2D {
    return this.head(this.encode(inputIds, attentionMask, batchSize, seqLen, positions, training));
  }
}
