/**
 * The classic recurrent MLM (the TensorFlow masked-LM example): embedding → bidirectional GRU → dense
 * softmax over the vocabulary, evaluated only at the prediction targets.
 *
 * Parameter names follow PyTorch (nn.Embedding / nn.GRU(bidirectional=True) / nn.Linear) so the
 * weights export as a plain state dict:
 *   embeddings.word_embeddings.weight [vocab, emb]
 *   gru.weight_ih_l0 [3·units, emb]   gru.weight_hh_l0 [3·units, units]   gru.bias_ih_l0 / gru.bias_hh_l0 [3·units]
 *   gru.*_l0_reverse                  (the backward direction, same shapes)
 *   cls.decoder.weight [vocab, 2·units]   cls.decoder.bias [vocab]
 * Gates are ordered r, z, n as in PyTorch: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Padding (attentionMask 0) leaves the state unchanged, so the backward direction starts at the last real token.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BigruConfig, MlmModel } from '../types';
import { ParamModel, type TargetBatch } from './paramModel';

export class BigruMlm extends ParamModel implements MlmModel {
  readonly config: BigruConfig;

  constructor(config: BigruConfig, seed: number) {
    super(seed);
    this.config = { ...config };
    const { vocabSize: v, embeddingDim: e, gruUnits: u, initializerRange: std } = config;
    const normal = { kind: 'normal', std } as const;
    const zeros = { kind: 'zeros' } as const;
    const p = this.params;
    p.add({ name: 'embeddings.word_embeddings.weight', shape: [v, e], init: normal });
    for (const dir of ['', '_reverse']) {
      p.add({ name: `gru.weight_ih_l0${dir}`, shape: [e, 3 * u], init: normal, transposed: true });
      p.add({ name: `gru.weight_hh_l0${dir}`, shape: [u, 3 * u], init: normal, transposed: true });
      p.add({ name: `gru.bias_ih_l0${dir}`, shape: [3 * u], init: zeros });
      p.add({ name: `gru.bias_hh_l0${dir}`, shape: [3 * u], init: zeros });
    }
    p.add({ name: 'cls.decoder.weight', shape: [2 * u, v], init: normal, transposed: true });
    p.add({ name: 'cls.decoder.bias', shape: [v], init: zeros });
  }

  private t<T extends tf.Tensor>(name: string): T {
    return this.params.get(name) as tf.Tensor as T;
  }

  /** One direction over time. gi: per step [batch, 3u]; mask: per step [batch, 1] → outputs per step [batch, u]. */
  private run(gi: tf.Tensor2D[], mask: tf.Tensor2D[], dir: string, reverse: boolean): tf.Tensor2D[] {
    const u = this.config.gruUnits;
    const whh = this.t<tf.Tensor2D>(`gru.weight_hh_l0${dir}`);
    const bhh = this.t<tf.Tensor1D>(`gru.bias_hh_l0${dir}`);
    const steps = gi.length;
    const out: tf.Tensor2D[] = new Array<tf.Tensor2D>(steps);
    let h: tf.Tensor2D = tf.zeros([gi[0].shape[0], u]);
    for (let s = 0; s < steps; s++) {
      const t = reverse ? steps - 1 - s : s;
      const gh = tf.add(tf.matMul(h, whh), bhh); // [batch, 3u]
      const [ir, iz, inn] = tf.split(gi[t], 3, 1);
      const [hr, hz, hn] = tf.split(gh, 3, 1);
      const r = tf.sigmoid(tf.add(ir, hr));
      const z = tf.sigmoid(tf.add(iz, hz));
      const n = tf.tanh(tf.add(inn, tf.mul(r, hn)));
      const next = tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 − z) n + z h
      h = tf.add(h, tf.mul(mask[t], tf.sub(next, h))); // padding keeps h
      out[t] = h;
    }
    return out;
  }

  /** GRU outputs at the given flat positions: [positions, 2u]. */
  private features(
    inputIds: Int32Array,
    attentionMask: Int32Array,
    batchSize: number,
    seqLen: number,
    positions: Int32Array,
    training: boolean,
  ): tf.Tensor2D {
    const c = this.config;
    const n = batchSize * seqLen;
    for (let i = 0; i < n; i++) {
      if (inputIds[i] < 0 || inputIds[i] >= c.vocabSize) {
        throw new Error(`input id ${inputIds[i]} at ${i} is outside the vocabulary [0, ${c.vocabSize})`);
      }
    }
    const rate = training ? c.dropout : 0;
    const emb = this.dropout.apply(
      tf.gather(this.t<tf.Tensor2D>('embeddings.word_embeddings.weight'), tf.tensor1d(inputIds, 'int32')),
      rate,
    ); // [n, emb]
    // Time-major mask: [seqLen, batch, 1] split into seqLen × [batch, 1].
    const m = new Float32Array(n);
    for (let b = 0; b < batchSize; b++) {
      for (let t = 0; t < seqLen; t++) m[t * batchSize + b] = attentionMask[b * seqLen + t] ? 1 : 0;
    }
    const mask = tf.unstack(tf.tensor3d(m, [seqLen, batchSize, 1])) as tf.Tensor2D[];
    const dirs = ['', '_reverse'].map((dir) => {
      // Input projections for all steps at once: [n, 3u] → time-major [seqLen, batch, 3u].
      const gi = tf.add(
        tf.matMul(emb, this.t<tf.Tensor2D>(`gru.weight_ih_l0${dir}`)),
        this.t(`gru.bias_ih_l0${dir}`),
      );
      const steps = tf.unstack(
        tf.transpose(tf.reshape(gi, [batchSize, seqLen, -1]), [1, 0, 2]),
      ) as tf.Tensor2D[];
      const outs = this.run(steps, mask, dir, dir !== '');
      // [seqLen, batch, u] → [batch * seqLen, u]
      return tf.reshape(tf.transpose(tf.stack(outs), [1, 0, 2]), [n, c.gruUnits]) as tf.Tensor2D;
    });
    const both = this.dropout.apply(tf.concat(dirs, 1), rate); // [n, 2u]
    return tf.gather(both, tf.tensor1d(positions, 'int32')) as tf.Tensor2D;
  }

  private decode(features: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(features, this.t<tf.Tensor2D>('cls.decoder.weight')), this.t('cls.decoder.bias'));
  }

  protected targetLogits(batch: TargetBatch, training: boolean): tf.Tensor2D {
    const { inputIds, attentionMask, batchSize, seqLen, maskedPositions } = batch;
    return this.decode(this.features(inputIds, attentionMask, batchSize, seqLen, maskedPositions, training));
  }
}
