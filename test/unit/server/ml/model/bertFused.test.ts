/**
 * The BERT forward's fast paths (fused Q|K|V with the 1/√dh scale folded in, bias inside the product, the
 * inference attention kernel and its cached projection, no mask add without padding, the last layer on the
 * target rows only) against the unfused reference it replaced, written out here from tf ops.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { bertPreset, createModel } from '../../../../../server/ml/model';
import { geluAutodiff, layerNorm, sparseCrossEntropy } from '../../../../../server/ml/model/ops';
import type { BertConfig, MlmBatch, MlmModel } from '../../../../../server/ml/types';
import { maxRelDiff, onBackend, tinyBatch } from './modelFixtures';

const VOCAB = 50;
const config = (dropout = 0): BertConfig => ({
  ...bertPreset('tiny', VOCAB, 16),
  hiddenSize: 32,
  numAttentionHeads: 2,
  intermediateSize: 64,
  hiddenDropoutProb: dropout,
  attentionProbsDropoutProb: dropout,
});

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

/** The previous forward, unfused: logits [positions, vocab] (no dropout). */
function reference(model: MlmModel, c: BertConfig, batch: MlmBatch): tf.Tensor2D {
  const v = (name: string): tf.Tensor2D => model.variables.get(name) as tf.Tensor as tf.Tensor2D;
  const b1 = (name: string): tf.Tensor1D => model.variables.get(name) as tf.Tensor as tf.Tensor1D;
  const dense = (x: tf.Tensor2D, p: string): tf.Tensor2D =>
    tf.add(tf.matMul(x, v(`${p}.weight`)), b1(`${p}.bias`));
  const norm = (x: tf.Tensor2D, p: string): tf.Tensor2D =>
    layerNorm(x, b1(`${p}.weight`), b1(`${p}.bias`), c.layerNormEps);
  const { batchSize: b, seqLen: t, inputIds, attentionMask, maskedPositions } = batch;
  const h = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const dh = h / heads;
  const words = tf.gather(v('bert.embeddings.word_embeddings.weight'), tf.tensor1d(inputIds, 'int32'));
  const pos = tf.slice(v('bert.embeddings.position_embeddings.weight'), [0, 0], [t, h]);
  const type = tf.slice(v('bert.embeddings.token_type_embeddings.weight'), [0, 0], [1, h]);
  let x = norm(
    tf.reshape(tf.add(tf.reshape(words, [b, t, h]), tf.add(pos, type)), [b * t, h]),
    'bert.embeddings.LayerNorm',
  );
  const maskBias = tf.tensor2d(
    Float32Array.from(attentionMask, (m) => (m ? 0 : -1e9)),
    [b, t],
  );
  const split = (y: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(y, [b, t, heads, dh]), [0, 2, 1, 3]);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const l = `bert.encoder.layer.${i}`;
    const q = split(dense(x, `${l}.attention.self.query`));
    const k = split(dense(x, `${l}.attention.self.key`));
    const val = split(dense(x, `${l}.attention.self.value`));
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    const probs = tf.softmax(tf.add(scores, tf.reshape(maskBias, [b, 1, 1, t])));
    const ctx = tf.reshape(tf.transpose(tf.matMul(probs, val), [0, 2, 1, 3]), [b * t, h]) as tf.Tensor2D;
    x = norm(tf.add(dense(ctx, `${l}.attention.output.dense`), x), `${l}.attention.output.LayerNorm`);
    const inter = geluAutodiff(dense(x, `${l}.intermediate.dense`));
    x = norm(tf.add(dense(inter, `${l}.output.dense`), x), `${l}.output.LayerNorm`);
  }
  const hidden = tf.gather(x, tf.tensor1d(maskedPositions, 'int32'));
  const tr = norm(
    geluAutodiff(dense(hidden, 'cls.predictions.transform.dense')),
    'cls.predictions.transform.LayerNorm',
  );
  const logits = tf.matMul(tr, v('bert.embeddings.word_embeddings.weight'), false, true);
  return tf.add(logits, b1('cls.predictions.bias'));
}

function lossGrads(model: MlmModel, f: () => tf.Scalar): { loss: number; grads: Map<string, Float32Array> } {
  const names = new Map([...model.variables].map(([k, v]) => [v.name, k]));
  const { value, grads } = tf.variableGrads(f, [...model.variables.values()]);
  const out = new Map<string, Float32Array>();
  for (const [n, g] of Object.entries(grads)) out.set(names.get(n) ?? n, g.dataSync() as Float32Array);
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

const batches: Array<{ name: string; batch: () => MlmBatch }> = [
  { name: 'batch 2 with padding', batch: () => tinyBatch(2, 8, VOCAB, 5) },
  {
    name: 'batch 1 without padding, repeated target',
    batch: () => ({ ...tinyBatch(1, 9, VOCAB, 3), attentionMask: new Int32Array(9).fill(1) }),
  },
];

void describe('bert fast paths equal the unfused reference (within 1e-5)', () => {
  for (const { name, batch: make } of batches) {
    for (const backend of ['wasm', 'cpu'] as const) {
      void test(`${name}, ${backend}: inference logits, also after the weights change`, async () => {
        const c = config();
        const m = createModel(c, { seed: 11 });
        const batch = make();
        await onBackend(backend, () => {
          const run = (): { got: Float32Array; want: Float32Array } =>
            tf.tidy(() => ({
              got: m
                .logitsAt(
                  batch.inputIds,
                  batch.attentionMask,
                  batch.batchSize,
                  batch.seqLen,
                  batch.maskedPositions,
                )
                .dataSync() as Float32Array,
              want: reference(m, c, batch).dataSync() as Float32Array,
            }));
          const first = run();
          assert.ok(maxRelDiff(first.got, first.want) < 1e-5, `${maxRelDiff(first.got, first.want)}`);
          const cached = tf.memory().numTensors;
          const again = run();
          assert.deepEqual(again.got, first.got);
          assert.equal(tf.memory().numTensors, cached, 'no tensor left behind by a cached call');
          // New weights (as after an optimizer step) must not hit the cached Q|K|V projection.
          const value = m.variables.get('bert.encoder.layer.1.attention.self.value.bias')!;
          value.assign(tf.tidy(() => tf.add(value, 1)));
          const changed = run();
          assert.ok(maxRelDiff(changed.got, changed.want) < 1e-5, `${maxRelDiff(changed.got, changed.want)}`);
          assert.ok(maxRelDiff(changed.got, first.got) > 1e-4, 'the new value bias changed the logits');
        });
        const before = tf.memory().numTensors;
        m.dispose();
        assert.ok(tf.memory().numTensors < before);
      });
    }

    for (const training of [false, true]) {
      void test(`${name}: loss and gradients (training ${training}) on wasm`, () => {
        const c = config();
        const m = createModel(c, { seed: 12 });
        const batch = make();
        const before = tf.memory().numTensors;
        tf.tidy(() => void m.loss(batch, false)); // builds the cached Q|K|V projections
        assert.ok(tf.memory().numTensors > before);
        const got = lossGrads(m, () => m.loss(batch, training).loss);
        assert.equal(tf.memory().numTensors, before, 'a step with gradients frees the cached projections');
        const want = lossGrads(m, () => sparseCrossEntropy(reference(m, c, batch), batch.labels));
        assert.ok(Math.abs(got.loss - want.loss) < 1e-5);
        assert.equal(got.grads.size, m.variables.size);
        for (const [n, g] of got.grads) {
          const d = maxRelDiff(g, want.grads.get(n)!);
          assert.ok(d < 1e-5, `${n}: ${d}`);
        }
        m.dispose();
      });
    }
  }
});
