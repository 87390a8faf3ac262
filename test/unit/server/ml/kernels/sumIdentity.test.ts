import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { reductionBlock } from '../../../../../server/ml/kernels/sum';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const values = (n: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) * 10);

void describe('Sum on wasm equals cpu (forward and gradient)', () => {
  const table: Array<{
    shape: number[];
    axis: number | number[] | null;
    keepDims: boolean;
    dtype?: 'int32';
    block?: string;
  }> = [
    { shape: [6, 4], axis: 0, keepDims: false, block: 'leading' },
    { shape: [6, 4], axis: 1, keepDims: true, block: 'trailing' },
    { shape: [2, 3, 4], axis: [0, 1], keepDims: false, block: 'leading' },
    { shape: [2, 3, 4], axis: [1, 2], keepDims: true, block: 'trailing' },
    { shape: [2, 3, 4], axis: null, keepDims: false, block: 'trailing' },
    { shape: [2, 3, 4], axis: 1, keepDims: false }, // middle axis: the stock kernel
    { shape: [2, 3, 4], axis: [0, 2], keepDims: false }, // not contiguous: the stock kernel
    { shape: [5, 3], axis: 0, keepDims: false, dtype: 'int32' }, // int32: the stock kernel
    { shape: [4, 2, 3], axis: -1, keepDims: false, block: 'trailing' },
  ];
  for (const c of table) {
    void test(`[${c.shape.join(',')}] axis ${JSON.stringify(c.axis)} keepDims ${c.keepDims} ${c.dtype ?? ''}`, async () => {
      const rank = c.shape.length;
      const axes =
        c.axis === null ? [...Array(rank).keys()] : [c.axis].flat().map((a) => (a < 0 ? a + rank : a));
      assert.equal(reductionBlock(rank, axes)?.kind, c.dtype ? reductionBlock(rank, axes)?.kind : c.block);
      const run = (): { v: number[]; shape: number[]; g: number[] } =>
        tf.tidy(() => {
          const n = tf.util.sizeFromShape(c.shape);
          const x = c.dtype
            ? tf.tensor(
                Array.from({ length: n }, (_, i) => i - 3),
                c.shape,
                'int32',
              )
            : tf.tensor(values(n), c.shape);
          const out = tf.sum(x, c.axis ?? undefined, c.keepDims);
          const g = c.dtype
            ? out
            : tf.grad((t: tf.Tensor) =>
                tf.sum(
                  tf.mul(
                    tf.sum(t, c.axis ?? undefined, c.keepDims),
                    tf.reshape(tf.range(1, out.size + 1), out.shape),
                  ),
                ),
              )(x);
          return { v: Array.from(out.dataSync()), shape: out.shape, g: Array.from(g.dataSync()) };
        });
      const wasm = run();
      const cpu = await onBackend('cpu', run);
      assert.deepEqual(wasm.shape, cpu.shape);
      assert.ok(maxRelDiff(wasm.v, cpu.v) < 1e-6, `${String(wasm.v)} vs ${String(cpu.v)}`);
      assert.deepEqual(wasm.g, cpu.g);
    });
  }
});

void describe('Identity on wasm shares memory', () => {
  void test('a clone survives disposing its source, and vice versa; nothing leaks', () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers + 1, 'the clone holds no second copy');
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
    const z = tf.clone(y);
    y.dispose();
    assert.deepEqual(z.shape, [2, 2]);
    assert.deepEqual(
      tf.tidy(() => Array.from(tf.add(z, 1).dataSync())),
      [2, 3, 4, 5],
    );
    z.dispose();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
  });
});
