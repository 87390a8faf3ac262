import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../../server/ml/backend';
import { customWasmKernelNames } from '../../../../../server/ml/kernels';
import { maxRelDiff, onBackend } from '../model/modelFixtures';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const cases: Array<{
  name: string;
  x: number[];
  shape: number[];
  dtype: 'float32' | 'int32';
  ids: number[];
  segments: number;
}> = [
  {
    name: '1-D ids, rows of 3',
    x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    shape: [4, 3],
    dtype: 'float32',
    ids: [2, 0, 2, 1],
    segments: 3,
  },
  {
    name: 'out-of-range ids are dropped',
    x: [1, 2, 3, 4, 5, 6],
    shape: [3, 2],
    dtype: 'float32',
    ids: [-1, 5, 0],
    segments: 2,
  },
  {
    name: 'int32 values',
    x: [1, 2, 3, 4],
    shape: [4],
    dtype: 'int32',
    ids: [0, 0, 1, 0],
    segments: 2,
  },
  {
    name: 'empty segment stays zero',
    x: [1.5, -2.5],
    shape: [2, 1],
    dtype: 'float32',
    ids: [3, 3],
    segments: 5,
  },
];

void describe('UnsortedSegmentSum on wasm', () => {
  void test('is one of our registered wasm kernels', () => {
    assert.ok(customWasmKernelNames().includes('UnsortedSegmentSum'));
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
  });

  for (const c of cases) {
    void test(`forward equals cpu: ${c.name}`, async () => {
      const run = (): { values: number[]; shape: number[]; dtype: string } =>
        tf.tidy(() => {
          const x = tf.tensor(c.x, c.shape, c.dtype);
          const ids = tf.tensor1d(c.ids, 'int32');
          const out = tf.unsortedSegmentSum(x, ids, c.segments);
          return { values: Array.from(out.dataSync()), shape: out.shape, dtype: out.dtype };
        });
      const before = tf.memory().numTensors;
      const wasm = run();
      const cpu = await onBackend('cpu', run);
      assert.deepEqual(wasm.values, cpu.values);
      assert.deepEqual(wasm.shape, [c.segments, ...c.shape.slice(1)]);
      // TF semantics: the output has x's dtype (tfjs's cpu kernel returns float32 for int32 input).
      assert.equal(wasm.dtype, c.dtype);
      assert.equal(tf.memory().numTensors, before);
    });
  }

  void test('gradient of gather (embedding lookup) equals cpu', async () => {
    const table = Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i));
    const ids = [5, 0, 5, 2, 2, 2, 1];
    const weights = Array.from({ length: ids.length * 4 }, (_, i) => Math.cos(i));
    const run = (): { fwd: number[]; grad: number[] } =>
      tf.tidy(() => {
        const x = tf.tensor2d(table, [6, 4]);
        const w = tf.tensor2d(weights, [ids.length, 4]);
        const f = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), w));
        const { value, grad } = tf.valueAndGrad(f)(x);
        return { fwd: Array.from(value.dataSync()), grad: Array.from(grad.dataSync()) };
      });
    const wasm = run();
    const cpu = await onBackend('cpu', run);
    assert.ok(maxRelDiff(wasm.fwd, cpu.fwd) < 1e-6);
    assert.ok(maxRelDiff(wasm.grad, cpu.grad) < 1e-6, `grad differs: ${maxRelDiff(wasm.grad, cpu.grad)}`);
    // Rows never gathered (3, 4) get zero gradient.
    assert.deepEqual(wasm.grad.slice(12, 20), new Array(8).fill(0));
  });

  void test('its own gradient (gather of dy) equals cpu', async () => {
    const run = (): number[] =>
      tf.tidy(() => {
        const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const ids = tf.tensor1d([1, 0, 1], 'int32');
        const w = tf.tensor2d([1, -1, 2, 3], [2, 2]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.unsortedSegmentSum(t, ids, 2), w)))(x);
        return Array.from(g.dataSync());
      });
    assert.deepEqual(run(), await onBackend('cpu', run));
  });
});
