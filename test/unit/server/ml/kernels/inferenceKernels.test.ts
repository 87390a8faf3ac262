/**
 * The inference-only one-launch kernels fill-mask uses against the tf ops they replace: MlmDense (the stock
 * fused product, also with a transposed cached weight), LayerNorm(x + residual), the embeddings kernel and
 * self-attention with queries for the target rows only.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { customWasmKernelNames } from '../../../../../server/ml/kernels';
import { selfAttentionKernel } from '../../../../../server/ml/kernels/selfAttention';
import { DENSE, denseKernel } from '../../../../../server/ml/kernels/dense';
import {
  addLayerNormKernel,
  embedLayerNormKernel,
  fusedLayerNorm,
} from '../../../../../server/ml/kernels/layerNorm';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2 + seed * 0.05);

void describe('MlmDense (wasm) equals tf.fused.matMul / matMul + bias', () => {
  for (const [m, k, n] of [
    [32, 16, 24],
    [1, 8, 40],
    [3, 5, 7],
  ] as const) {
    void test(`[${m}, ${k}] · [${k}, ${n}], also with the weight transposed (cached from the second call)`, () => {
      assert.ok(customWasmKernelNames().includes(DENSE));
      const x = tf.tensor2d(values(m * k, 1), [m, k]);
      const w = tf.tensor2d(values(k * n, 2), [k, n]);
      const wT = tf.tensor2d(values(n * k, 3), [n, k]);
      const b = tf.tensor1d(values(n, 4));
      const before = tf.memory().numTensors;
      const want = tf.tidy(() => tf.fused.matMul({ a: x, b: w, bias: b }).dataSync());
      const wantT = tf.tidy(() => tf.add(tf.matMul(x, wT, false, true), b).dataSync());
      for (let call = 0; call < 3; call++) {
        const got = tf.tidy(() => denseKernel(x, w, b).dataSync());
        assert.deepEqual(got, want);
        const gotT = tf.tidy(() => denseKernel(x, wT, b, true).dataSync());
        assert.ok(maxRelDiff(gotT, wantT) < 1e-6, `${maxRelDiff(gotT, wantT)}`);
      }
      assert.equal(tf.memory().numTensors, before);
      assert.throws(() => denseKernel(x, wT, b), /dense needs/);
      tf.dispose([x, w, wT, b]);
    });
  }
});

void describe('LayerNorm(x + residual) and the embeddings kernel equal the ops they replace, bit for bit', () => {
  for (const [n, h] of [
    [6, 32], // SIMD rows on wasm
    [4, 7], // JavaScript rows
  ] as const) {
    for (const backend of ['wasm', 'cpu'] as const) {
      void test(`add + LayerNorm [${n}, ${h}] on ${backend}`, async () => {
        const run = () =>
          tf.tidy(() => {
            const x = tf.tensor2d(values(n * h, 1), [n, h]);
            const r = tf.tensor2d(values(n * h, 2), [n, h]);
            const g = tf.tensor1d(values(h, 3));
            const b = tf.tensor1d(values(h, 4));
            return {
              got: addLayerNormKernel(x, r, g, b, 1e-12).dataSync(),
              want: fusedLayerNorm(tf.add(x, r), g, b, 1e-12).dataSync(),
            };
          });
        const before = tf.memory().numTensors;
        const { got, want } = await onBackend(backend, run);
        assert.equal(tf.memory().numTensors, before);
        assert.deepEqual(got, want);
      });

      void test(`embeddings [2 × ${n}, ${h}] on ${backend}`, async () => {
        const vocab = 11;
        const ids = Int32Array.from({ length: 2 * n }, (_, i) => (i * 7) % vocab);
        const run = () =>
          tf.tidy(() => {
            const word = tf.tensor2d(values(vocab * h, 1), [vocab, h]);
            const position = tf.tensor2d(values((n + 2) * h, 2), [n + 2, h]);
            const tokenType = tf.tensor2d(values(2 * h, 3), [2, h]);
            const g = tf.tensor1d(values(h, 4));
            const b = tf.tensor1d(values(h, 5));
            const idsT = tf.tensor1d(ids, 'int32');
            const summed = tf.add(
              tf.reshape(tf.gather(word, idsT), [2, n, h]),
              tf.add(tf.slice(position, [0, 0], [n, h]), tf.slice(tokenType, [0, 0], [1, h])),
            );
            const attrs = { seqLen: n, eps: 1e-12 };
            assert.throws(
              () =>
                embedLayerNormKernel(tf.tensor1d([0, vocab], 'int32'), { word, position, tokenType }, g, b, {
                  ...attrs,
                  seqLen: 2,
                }),
              /outside the vocabulary/,
            );
            return {
              got: embedLayerNormKernel(idsT, { word, position, tokenType }, g, b, attrs).dataSync(),
              want: fusedLayerNorm(tf.reshape(summed, [2 * n, h]), g, b, 1e-12).dataSync(),
            };
          });
        const before = tf.memory().numTensors;
        const { got, want } = await onBackend(backend, run);
        assert.equal(tf.memory().numTensors, before);
        assert.deepEqual(got, want);
      });
    }
  }
});

void describe('self-attention with queries for the target rows only (wasm)', () => {
  for (const c of [
    { b: 1, t: 32, heads: 4, dh: 16, rows: [7], padded: false },
    { b: 3, t: 6, heads: 2, dh: 4, rows: [0, 8, 17, 8], padded: true },
  ]) {
    void test(`batch ${c.b}, seqLen ${c.t}, rows ${c.rows.join(' ')}`, () => {
      const h = c.heads * c.dh;
      const n = c.b * c.t;
      const attrs = { batchSize: c.b, seqLen: c.t, heads: c.heads };
      const before = tf.memory().numTensors;
      const [got, want] = tf.tidy(() => {
        const qkv = tf.tensor2d(values(n * 3 * h, 1), [n, 3 * h]);
        const bias = c.padded
          ? tf.tensor2d(
              Float32Array.from({ length: n }, (_, i) => (i % c.t === c.t - 1 ? -1e9 : 0)),
              [c.b, c.t],
            )
          : undefined;
        const rows = tf.tensor1d(Int32Array.from(c.rows), 'int32');
        const q = tf.gather(tf.slice(qkv, [0, 0], [n, h]), rows);
        const kv = tf.slice(qkv, [0, h], [n, 2 * h]);
        return [
          selfAttentionKernel(kv, bias, attrs, rows, q).dataSync(),
          selfAttentionKernel(qkv, bias, attrs, rows).dataSync(),
        ];
      });
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(got, want);
    });
  }
});
