import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { customWasmKernelNames } from '../../../../../server/ml/kernels';
import { SELF_ATTENTION, selfAttentionKernel } from '../../../../../server/ml/kernels/selfAttention';
import { attention, attentionComposite } from '../../../../../server/ml/model/attention';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

void describe('self-attention kernel (wasm, inference) equals the composite', () => {
  const cases: Array<{ name: string; b: number; t: number; heads: number; dh: number; padded: boolean }> = [
    { name: 'batch 1, no padding (fill-mask)', b: 1, t: 32, heads: 4, dh: 64, padded: false },
    { name: 'batch 3, padded keys', b: 3, t: 7, heads: 2, dh: 8, padded: true },
    {
      name: 'batch 2, 13 tokens, padded (SIMD tiles and edges)',
      b: 2,
      t: 13,
      heads: 3,
      dh: 16,
      padded: true,
    },
    { name: 'one head, one token', b: 2, t: 1, heads: 1, dh: 5, padded: false },
    { name: 'a row that is all padding', b: 2, t: 5, heads: 3, dh: 4, padded: true },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const h = c.heads * c.dh;
      const qkv = values(c.b * c.t * 3 * h, c.t);
      const bias = new Float32Array(c.b * c.t);
      if (c.padded) {
        for (let i = 0; i < c.b * c.t; i++)
          if (i % c.t >= Math.ceil(c.t / 2) || (c.t === 5 && i < c.t)) bias[i] = -1e9;
      }
      const shape = {
        batchSize: c.b,
        seqLen: c.t,
        heads: c.heads,
        dropoutRate: 0,
        dropout: (p: tf.Tensor4D) => p,
      };
      const run = (fused: boolean): Float32Array =>
        tf.tidy(() => {
          const x = tf.tensor2d(qkv, [c.b * c.t, 3 * h]);
          const m = c.padded ? tf.tensor2d(bias, [c.b, c.t]) : undefined;
          const out = fused ? selfAttentionKernel(x, m, shape) : attentionComposite(x, m, shape);
          assert.deepEqual(out.shape, [c.b * c.t, h]);
          return out.dataSync() as Float32Array;
        });
      const before = tf.memory().numTensors;
      const fused = run(true);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      const composite = run(false);
      const cpu = await onBackend('cpu', () => run(false));
      assert.ok(maxRelDiff(fused, composite) < 1e-5, `vs wasm composite: ${maxRelDiff(fused, composite)}`);
      assert.ok(maxRelDiff(fused, cpu) < 1e-5, `vs cpu composite: ${maxRelDiff(fused, cpu)}`);
    });
  }

  const rowCases: Array<{ name: string; b: number; t: number; rows: number[]; padded: boolean }> = [
    { name: 'one mask (fill-mask, in JavaScript)', b: 1, t: 32, rows: [7], padded: false },
    { name: 'padded batch, repeated rows (in JavaScript)', b: 2, t: 6, rows: [11, 0, 7, 7], padded: true },
    {
      name: 'many rows (full kernel, then gather)',
      b: 4,
      t: 128,
      rows: [0, 130, 511, 300, 5, 6, 7, 200, 201, 400],
      padded: true,
    },
  ];
  for (const c of rowCases) {
    void test(`only some query rows: ${c.name}`, async () => {
      const heads = 2;
      const h = heads * 64;
      const qkv = values(c.b * c.t * 3 * h, c.rows.length);
      const bias = Float32Array.from({ length: c.b * c.t }, (_, i) =>
        c.padded && i % c.t > c.t - 3 ? -1e9 : 0,
      );
      const shape = { batchSize: c.b, seqLen: c.t, heads, dropoutRate: 0, dropout: (p: tf.Tensor4D) => p };
      const run = (): Float32Array =>
        tf.tidy(() => {
          const x = tf.tensor2d(qkv, [c.b * c.t, 3 * h]);
          const m = c.padded ? tf.tensor2d(bias, [c.b, c.t]) : undefined;
          const ids = Int32Array.from(c.rows);
          const out = attention(x, m, shape, { ids, tensor: tf.tensor1d(ids, 'int32') });
          assert.deepEqual(out.shape, [c.rows.length, h]);
          return out.dataSync() as Float32Array;
        });
      const before = tf.memory().numTensors;
      const got = run();
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      const cpu = await onBackend('cpu', run); // the composite, then a gather
      assert.ok(maxRelDiff(got, cpu) < 1e-5, `vs cpu composite: ${maxRelDiff(got, cpu)}`);
    });
  }

  void test('is registered for wasm only', () => {
    assert.ok(customWasmKernelNames().includes(SELF_ATTENTION));
    assert.equal(tf.getKernel(SELF_ATTENTION, 'cpu'), undefined);
  });
});
