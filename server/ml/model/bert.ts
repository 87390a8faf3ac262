/**
 * BERT for masked language modelling with Hugging Face BertForMaskedLM's parameter names and semantics:
 * post-LN encoder, exact GELU, LayerNorm eps from the config, MLM head (dense + GELU + LayerNorm, decoder
 * tied to the word embeddings, plus a bias) evaluated only at the prediction targets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig, MlmModel } from '../types';
import { attention } from './attention';
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

export class BertMlm extends ParamModel implements MlmModel {
  readonly config: BertConfig;
  /** Per layer, the fused Q|K|V projection used while no gradient is recorded (see qkvProjection). */
  private readonly qkvCache: Array<{ keys: tf.DataId[]; w: tf.Tensor2D; b: tf.Tensor1D } | undefined> = [];
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
    linearParams('cls.predictions.transform.dense', h, h);
    layerNormParams('cls.predictions.transform.LayerNorm');
    p.add({ name: 'cls.predictions.bias', shape: [v], init: zeros });
  }

  private w(name: string): tf.Tensor2D {
    return this.params.get(name) as tf.Tensor as tf.Tensor2D;
  }

  private b(name: string): tf.Tensor1D {
    return this.params.get(name) as tf.Tensor as tf.Tensor1D;
  }

  /** x [n, in] · W + b → [n, out] as one fused kernel (the bias is added inside the product). */
  private dense(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return denseBias(x, this.w(`${prefix}.weight`), this.b(`${prefix}.bias`));
  }

  private norm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return layerNorm(x, this.b(`${prefix}.weight`), this.b(`${prefix}.bias`), this.config.layerNormEps);
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
    if (hit) tf.dispose([hit.w, hit.b]);
    const made = tf.tidy(build);
    tf.keep(made.w); // outlives the caller's tidy
    tf.keep(made.b);
    this.qkvCache[i] = { keys, ...made };
    return made;
  }

  /** Drops the cached fused projections (tensors in tfjs's memory). */
  private clearQkvCache(): void {
    for (const c of this.qkvCache) if (c) tf.dispose([c.w, c.b]);
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
  private encode(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    rows: Int32Array,
    training: boolean,
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
    // Embeddings: word [n, h] + position [seqLen, h] (broadcast over the batch) + token type 0 [h].
    const words = tf.gather(this.w('bert.embeddings.word_embeddings.weight'), tf.tensor1d(inputIds, 'int32'));
    const positions = tf.slice(this.w('bert.embeddings.position_embeddings.weight'), [0, 0], [seqLen, h]);
    const tokenType = tf.slice(this.w('bert.embeddings.token_type_embeddings.weight'), [0, 0], [1, h]);
    const summed = tf.add(tf.reshape(words, [batchSize, seqLen, h]), tf.add(positions, tokenType));
    let x = this.norm(tf.reshape(summed, [n, h]), 'bert.embeddings.LayerNorm');
    x = this.dropout.apply(x, pHidden);
    // Additive attention bias [batch, seqLen]: 0 for real tokens, -1e9 for padding keys; none without padding.
    let maskBias: tf.Tensor2D | undefined;
    if (attentionMask.some((m) => !m)) {
      const bias = new Float32Array(n);
      for (let i = 0; i < n; i++) bias[i] = attentionMask[i] ? 0 : -1e9;
      maskBias = tf.tensor2d(bias, [batchSize, seqLen]);
    }
    const rowIds = tf.tensor1d(rows, 'int32');
    let selected = false;
    for (let i = 0; i < c.numHiddenLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      const qkv = this.qkvProjection(i);
      const last = i === c.numHiddenLayers - 1 && pHidden === 0;
      const ctx = attention(
        denseBias(x, qkv.w, qkv.b),
        maskBias,
        {
          batchSize,
          seqLen,
          heads: c.numAttentionHeads,
          dropoutRate: pAttn,
          dropout: (p) => this.dropout.apply(p, pAttn),
        },
        last ? { ids: rows, tensor: rowIds } : undefined,
      );
      if (last) {
        x = tf.gather(x, rowIds);
        selected = true;
      }
      const attnOut = this.dropout.apply(this.dense(ctx, `${l}.attention.output.dense`), pHidden);
      x = this.norm(tf.add(attnOut, x), `${l}.attention.output.LayerNorm`);
      const inter = gelu(this.dense(x, `${l}.intermediate.dense`));
      const out = this.dropout.apply(this.dense(inter, `${l}.output.dense`), pHidden);
      x = this.norm(tf.add(out, x), `${l}.output.LayerNorm`);
    }
    return selected ? x : tf.gather(x, rowIds);
  }

  /** MLM head on selected rows: hidden [m, h] → logits [m, vocab]. */
  private head(hidden: tf.Tensor2D): tf.Tensor2D {
    const t = this.norm(
      gelu(this.dense(hidden, 'cls.predictions.transform.dense')),
      'cls.predictions.transform.LayerNorm',
    );
    const logits = tf.matMul(t, this.w('bert.embeddings.word_embeddings.weight'), false, true);
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
