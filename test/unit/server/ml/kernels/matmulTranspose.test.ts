import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { permute, simplifyPermutation } from '../../../../../server/ml/kernels/permute';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed));

void describe('permute (JavaScript transpose)', () => {
  const table: Array<{ shape: number[]; perm: number[]; simplified: { shape: number[]; perm: number[] } }> = [
    { shape: [3, 5], perm: [1, 0], simplified: { shape: [3, 5], perm: [1, 0] } },
    { shape: [2, 3, 4, 5], perm: [0, 2, 1, 3], simplified: { shape: [2, 3, 4, 5], perm: [0, 2, 1, 3] } },
    { shape: [2, 3, 4], perm: [2, 0, 1], simplified: { shape: [6, 4], perm: [1, 0] } },
    { shape: [1, 7, 1, 3], perm: [3, 2, 1, 0], simplified: { shape: [7, 3], perm: [1, 0] } },
    { shape: [4, 1, 6], perm: [0, 1, 2], simplified: { shape: [24], perm: [0] } },
    { shape: [33, 70], perm: [1, 0], simplified: { shape: [33, 70], perm: [1, 0] } },
    { shape: [3, 4, 5], perm: [2, 1, 0], simplified: { shape: [3, 4, 5], perm: [2, 1, 0] } },
  ];
  for (const c of table) {
    void test(`[${c.shape.join(',')}] by [${c.perm.join(',')}] equals tf.transpose on cpu`, async () => {
      assert.deepEqual(simplifyPermutation(c.shape, c.perm), c.simplified);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = values(n, 1);
      const out = new Float32Array(n);
      permute(x, c.shape, c.perm, out);
      const ref = await onBackend('cpu', () =>
        tf.tidy(() => Array.from(tf.transpose(tf.tensor(x, c.shape), c.perm).dataSync())),
      );
      assert.deepEqual(Array.from(out), ref);
    });
  }
});

void describe('Transpose and BatchMatMul on wasm equal cpu (forward and gradient)', () => {
  /** grad: false where tfjs-core's BatchMatMul gradient does not support broadcasting (on any backend). */
  const cases: Array<{ name: string; a: number[]; b: number[]; ta: boolean; tb: boolean; grad?: false }> = [
    { name: '2-D', a: [5, 7], b: [7, 3], ta: false, tb: false },
    { name: '2-D, b transposed', a: [5, 7], b: [3, 7], ta: false, tb: true },
    { name: '2-D, a transposed', a: [7, 5], b: [7, 3], ta: true, tb: false },
    { name: '2-D, both transposed', a: [7, 5], b: [3, 7], ta: true, tb: true },
    {
      name: '2-D, a transposed, wide (computed as (bᵀa)ᵀ)',
      a: [256, 32],
      b: [256, 128],
      ta: true,
      tb: false,
    },
    { name: 'batched 4-D (attention scores)', a: [2, 3, 6, 4], b: [2, 3, 6, 4], ta: false, tb: true },
    { name: 'batched, shared right operand', a: [3, 4, 5], b: [5, 2], ta: false, tb: false, grad: false },
    { name: 'batched, shared left operand', a: [4, 5], b: [3, 5, 2], ta: false, tb: false, grad: false },
    { name: 'batched, a transposed', a: [3, 5, 4], b: [3, 5, 2], ta: true, tb: false },
    { name: '8 small products (SIMD tiles and edges)', a: [8, 9, 12], b: [8, 12, 10], ta: false, tb: false },
    { name: '8 small products, a transposed', a: [2, 4, 12, 9], b: [2, 4, 12, 16], ta: true, tb: false },
    { name: '8 small products, b transposed', a: [2, 4, 13, 6], b: [2, 4, 17, 6], ta: false, tb: true },
    { name: '8 small products, both transposed', a: [8, 6, 5], b: [8, 9, 6], ta: true, tb: true },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const run = (): { out: number[]; ga: number[]; gb: number[]; shape: number[] } =>
        tf.tidy(() => {
          const a = tf.tensor(values(tf.util.sizeFromShape(c.a), 2), c.a);
          const b = tf.tensor(values(tf.util.sizeFromShape(c.b), 3), c.b);
          const out = tf.matMul(a, b, c.ta, c.tb);
          const w = tf.tensor(values(out.size, 4), out.shape);
          const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.matMul(x, y, c.ta, c.tb), w));
          const [ga, gb] = c.grad === false ? [a, b] : tf.grads(f)([a, b]);
          return {
            out: Array.from(out.dataSync()),
            ga: Array.from(ga.dataSync()),
            gb: Array.from(gb.dataSync()),
            shape: out.shape,
          };
        });
      const before = tf.memory().numTensors;
      const wasm = run();
      assert.equal(tf.memory().numTensors, before);
      const cpu = await onBackend('cpu', run);
      assert.deepEqual(wasm.shape, cpu.shape);
      assert.ok(maxRelDiff(wasm.out, cpu.out) < 1e-5, 'forward');
      assert.ok(maxRelDiff(wasm.ga, cpu.ga) < 1e-5, 'gradient of a');
      assert.ok(maxRelDiff(wasm.gb, cpu.gb) < 1e-5, 'gradient of b');
    });
  }

  void test('transpose gradient and int32 transpose', async () => {
    const run = (): number[][] =>
      tf.tidy(() => {
        const x = tf.tensor(values(24, 5), [2, 3, 4]);
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.transpose(t, [2, 0, 1]), tf.reshape(tf.range(0, 24), [4, 2, 3]))),
        )(x);
        const i = tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'));
        return [Array.from(g.dataSync()), Array.from(i.dataSync())];
      });
    assert.deepEqual(run(), await onBackend('cpu', run));
  });
});
